import pino from "pino";

/** Structured JSON logs; `correlationId` is carried from a leader fill to every follower fill. */
export const logger = pino({
  level: process.env.LOG_LEVEL ?? "info",
  base: { service: process.env.TANDEM_SERVICE ?? "tandem" },
  timestamp: pino.stdTimeFunctions.isoTime,
});
export type Logger = typeof logger;
