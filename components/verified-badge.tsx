import type { LeaderTrust } from "@/server/queries/leader-flags";
import { dateTime } from "./format";

/**
 * The "verified" badge and, when it is missing, why not (ADR 0036). The worker's last check
 * against the broker decides; no check yet reads as not verified, never as verified.
 */
export function VerifiedBadge({ verification }: { verification: LeaderTrust["verification"] }) {
  if (verification?.verified)
    return (
      <span
        className="badge good"
        data-testid="verified-badge"
        title={`All ${verification.fillsChecked} recorded trades match the broker's fills (checked ${dateTime(verification.checkedAt)})`}
      >
        Verified: {verification.fillsChecked} of {verification.fillsChecked} trades match the broker
      </span>
    );
  return (
    <span className="badge warn" data-testid="verified-badge">
      Not verified
    </span>
  );
}

/** Why a leader is not verified, in words; nothing when verified. */
export function UnverifiedReasons({ verification }: { verification: LeaderTrust["verification"] }) {
  if (verification?.verified) return null;
  const reasons = verification
    ? verification.reasons
    : ["Not checked against the broker yet: the check runs every minute or so."];
  return (
    <div className="note" role="note" data-testid="unverified-reasons">
      <strong>Why not verified:</strong>
      <ul style={{ margin: "0.25rem 0 0" }}>
        {reasons.map((r) => (
          <li key={r}>{r}</li>
        ))}
      </ul>
    </div>
  );
}
