import Link from "next/link";
import { TRPCError } from "@trpc/server";
import { AuditTable } from "@/components/audit-table";
import { serverCaller } from "@/server/api/server-caller";

type Search = Promise<{
  user?: string;
  action?: string;
  from?: string;
  to?: string;
  before?: string;
}>;

/** Only our own refusals (bad search input) are shown as they are; anything else generically. */
function messageOf(e: unknown): string {
  return e instanceof TRPCError && e.code !== "INTERNAL_SERVER_ERROR"
    ? e.message
    : "Something went wrong on our side. Please try again.";
}

/**
 * Staff search the audit log by who acted, what they did and when. Admin and support alike
 * (the layout and the procedure check the role); the page only reads — the table itself
 * refuses changes.
 */
export default async function AuditPage({ searchParams }: { searchParams: Search }) {
  const sp = await searchParams;
  const api = await serverCaller();
  const filters = {
    user: sp.user || undefined,
    action: sp.action || undefined,
    from: sp.from || undefined,
    to: sp.to || undefined,
  };
  const before = sp.before && /^\d{1,15}$/.test(sp.before) ? Number(sp.before) : undefined;
  const [result, actions] = await Promise.all([
    api.admin.audit({ ...filters, before }).catch((e: unknown) => messageOf(e)),
    api.admin.auditActions().catch(() => [] as string[]),
  ]);
  const next =
    typeof result !== "string" && result.nextBefore
      ? `?${new URLSearchParams({
          ...Object.fromEntries(Object.entries(filters).filter(([, v]) => v) as [string, string][]),
          before: String(result.nextBefore),
        })}`
      : null;
  return (
    <section>
      <p>
        <Link href="/admin">← Admin console</Link>
      </p>
      <h1>Audit log</h1>
      <form className="toolbar" method="get" aria-label="Search the audit log">
        <label>
          User (e-mail or id)
          <input name="user" defaultValue={sp.user ?? ""} maxLength={200} />
        </label>
        <label>
          Action
          <input
            name="action"
            defaultValue={sp.action ?? ""}
            list="audit-actions"
            placeholder="copy."
            maxLength={100}
          />
          <datalist id="audit-actions">
            {actions.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
        </label>
        <label>
          From
          <input name="from" type="datetime-local" defaultValue={sp.from ?? ""} />
        </label>
        <label>
          To
          <input name="to" type="datetime-local" defaultValue={sp.to ?? ""} />
        </label>
        <button type="submit">Search</button>
      </form>
      {typeof result === "string" ? (
        <p role="alert" className="error">
          {result}
        </p>
      ) : (
        <>
          <AuditTable rows={result.rows} />
          {next && (
            <p>
              <Link href={`/admin/audit${next}`}>Older entries →</Link>
            </p>
          )}
        </>
      )}
    </section>
  );
}
