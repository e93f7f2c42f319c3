import { brokerContract } from "../contract/contract-suite";
import { makeAlpacaHarness } from "../contract/alpaca-harness";

// The contract suite, unchanged, against the Alpaca adapter over the local gateway: every
// fault kind is the gateway's own (5xx, a dropped answer after accept, 422, 429, stream
// messages dropped and duplicated), and every body is checked against Alpaca's OpenAPI.
brokerContract("alpaca (local gateway)", () => makeAlpacaHarness());
