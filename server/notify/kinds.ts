/**
 * What Tandem tells people about, in words; the closed list the preferences page shows.
 * Defaults apply until a user saves a preference for the kind.
 */
export const NOTIFICATION_KINDS = [
  "stop_loss",
  "trades_skipped",
  "breaker_halt",
  "order_rejected",
  "copy_started",
  "copy_stopped",
  "leader_flagged",
  "breaker_alert",
  "leader_application",
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export const KIND_INFO: Record<
  NotificationKind,
  { label: string; description: string; inApp: boolean; email: boolean }
> = {
  stop_loss: {
    label: "Stop-loss hit",
    description: "A copy reached its stop-loss and was stopped.",
    inApp: true,
    email: true,
  },
  trades_skipped: {
    label: "Trades skipped or reduced",
    description: "Leader trades your copy did not follow in full, batched every few minutes.",
    inApp: true,
    email: true,
  },
  breaker_halt: {
    label: "Copying halted",
    description: "A safety circuit breaker stopped new positions for one of your copies.",
    inApp: true,
    email: true,
  },
  order_rejected: {
    label: "Order rejected",
    description: "The broker refused an order in your account.",
    inApp: true,
    email: true,
  },
  copy_started: {
    label: "Copy started",
    description: "You started copying a leader.",
    inApp: true,
    email: false,
  },
  copy_stopped: {
    label: "Copy stopped",
    description: "A copy of yours was stopped.",
    inApp: true,
    email: true,
  },
  leader_flagged: {
    label: "Leader changed strategy",
    description:
      "A leader you copy traded far outside their own last 30 days (size, leverage, instruments, holding time or volatility).",
    inApp: true,
    email: true,
  },
  breaker_alert: {
    label: "Safety breaker opened (staff and leaders)",
    description:
      "A circuit breaker opened by itself: for admins every one, for a leader the one on their own trading.",
    inApp: true,
    email: true,
  },
  leader_application: {
    label: "Leader application decided",
    description: "Support or an admin approved or refused your application to become a leader.",
    inApp: true,
    email: true,
  },
};

export function isNotificationKind(x: unknown): x is NotificationKind {
  return typeof x === "string" && (NOTIFICATION_KINDS as readonly string[]).includes(x);
}
