import { dateTime } from "@/components/format";

export type AuditRow = {
  id: number;
  at: Date | string;
  action: string;
  actorUserId: string | null;
  actorEmail: string | null;
  targetType: string | null;
  targetId: string | null;
  details: Record<string, unknown>;
  ip: string | null;
  userAgent: string | null;
};

/** The details of an audit row as short `key: value` text (JSON for nested values). */
function detailText(d: Record<string, unknown>): string {
  return Object.entries(d)
    .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" · ");
}

/** Read-only: the audit log is append-only, so there is nothing here to edit or delete. */
export function AuditTable({ rows }: { rows: AuditRow[] }) {
  if (rows.length === 0) return <p>No audit entries match.</p>;
  return (
    <table data-testid="audit-table">
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Who</th>
          <th scope="col">Action</th>
          <th scope="col">On</th>
          <th scope="col">Details</th>
          <th scope="col">From</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.id}>
            <td>{dateTime(r.at)}</td>
            <td>{r.actorEmail ?? (r.actorUserId ? r.actorUserId : "system")}</td>
            <td>
              <code>{r.action}</code>
            </td>
            <td>
              {r.targetType}
              {r.targetId ? ` ${r.targetId}` : ""}
            </td>
            <td className="muted">{detailText(r.details)}</td>
            <td className="muted" title={r.userAgent ?? undefined}>
              {r.ip ?? "—"}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
