import { trustRules } from "@/server/domain/verified";
import { LeaderRules } from "./leader-rules";

/** The copy agreement's text. Its version is AGREEMENT_VERSION (server/queries/copies.ts). */
export function CopyTerms({
  leaderName,
  feePct,
  version,
}: {
  leaderName: string;
  feePct: string;
  version: string;
}) {
  return (
    <div className="terms" data-testid="copy-terms">
      <p className="muted">Copy agreement, version {version}</p>
      <h3>What is copied</h3>
      <p>
        {leaderName}&apos;s trades from now on (not their past trades, unless you tick &ldquo;also
        open the leader&apos;s current positions&rdquo;). We copy positions, not orders: after each
        of the leader&apos;s fills your position is brought to your share of theirs, rounded down to
        what the instrument allows. When the leader closes, you close. Partial fills and missed
        trades are corrected by the next trade.
      </p>
      <h3>Sizing and leverage</h3>
      <p>
        Proportional sizing fixes your share when you start (your amount divided by the
        leader&apos;s account value) and changes only when you change your amount or the leader adds
        or withdraws money, never because of profits or losses. If the leader uses more or less
        leverage, your positions grow or shrink in the same proportion, within your limits and your
        cash. Orders below an instrument&apos;s minimum size are skipped and picked up later.
      </p>
      <h3>Pauses, stops and limits</h3>
      <ul>
        <li>
          <strong>Pause</strong>: no new buying or selling that adds to positions; reductions still
          follow the leader so you are never left holding what they sold.
        </li>
        <li>
          <strong>Stop</strong>: the copy ends. You choose whether your copied positions are closed
          at market or kept for you to manage.
        </li>
        <li>
          <strong>Copy stop-loss</strong>: if the copy&apos;s loss reaches the percentage you set of
          your amount, all its positions are closed at market and the copy stops.
        </li>
        <li>
          <strong>Other limits</strong> (per-instrument exposure, open positions, daily loss,
          slippage, cash) reduce or skip increases. Every skipped or reduced trade appears on your
          dashboard with its reason.
        </li>
      </ul>
      <h3>Verified leaders, strategy changes and safety breakers</h3>
      <LeaderRules rules={trustRules()} heading="h4" />
      <h3>Fees</h3>
      <p>
        You pay the broker&apos;s commission on each copied trade, and {leaderName}&apos;s
        performance fee of {feePct} % on new profits above your previous high. Your results are
        measured on your own fills, fees included, so they will differ from the leader&apos;s.
      </p>
      <h3>Speed</h3>
      <p>
        Copies are usually placed within a second or two of the leader&apos;s fill, at the market
        price at that moment, which can differ from the leader&apos;s price. During outages or when
        a broker is slow, copying pauses rather than trading at the wrong size.
      </p>
      <h3>Risks</h3>
      <p>
        Trading can lose money, including more than you expect when prices gap. A leader&apos;s past
        results do not predict future ones. Tandem does not give investment advice; you decide whom
        to copy and with how much.
      </p>
    </div>
  );
}
