import type { Db } from "../../db/client";

/** A database handle or a transaction on it: the write helpers compose inside a caller's transaction. */
export type Executor = Db | Parameters<Parameters<Db["transaction"]>[0]>[0];
