import type { TrustRules } from "@/server/domain/verified";

/**
 * Each trust rule in words (ADR 0035, 0036): what makes a leader verified, what gets a leader
 * flagged, what a follower can choose to happen then, and the automatic breakers. The same
 * words on the profile and in the copy agreement, from server/domain.
 */
export function LeaderRules({
  rules,
  heading = "h3",
}: {
  rules: TrustRules;
  heading?: "h2" | "h3" | "h4";
}) {
  const H = heading;
  return (
    <div className="stack" data-testid="leader-rules" style={{ gap: "0.5rem" }}>
      <H>What &ldquo;verified&rdquo; means</H>
      <ul>
        {rules.verified.map((w) => (
          <li key={w}>{w}</li>
        ))}
      </ul>
      <H>When a leader is flagged</H>
      <p>
        Tandem compares each leader&apos;s last 24 hours with their own 30 days before. A leader is
        flagged when any of these holds:
      </p>
      <ul>
        {rules.flagged.map((w) => (
          <li key={w}>{w}</li>
        ))}
      </ul>
      <p>{rules.flagEnds}</p>
      <H>What you can choose to happen then</H>
      <ul>
        {rules.choices.map((c) => (
          <li key={c.choice}>
            <strong>{c.label}</strong>: {c.words}
          </li>
        ))}
      </ul>
      <H>Automatic safety breakers</H>
      <ul>
        {rules.breakers.map((w) => (
          <li key={w}>{w}</li>
        ))}
      </ul>
    </div>
  );
}
