export { PaperBroker, type PaperBrokerOptions, type QuoteInput } from "./paper-broker";
export type { AccountConfig } from "./account-tx";
export { FAULT_KINDS, type FaultKind, type FaultConfig } from "./faults";
export type { CommissionSchedule } from "./pricing";
