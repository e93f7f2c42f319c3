import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { serverCaller } from "@/server/api/server-caller";
import { getViewer, STAFF_ROLES } from "@/server/auth/session";

export const dynamic = "force-dynamic";

/**
 * The console is refused on the server: nothing under /admin renders for anyone without a
 * staff role (proxy.ts also answers 403 before routing; this is the second line).
 */
export default async function AdminLayout({ children }: { children: ReactNode }) {
  const viewer = await getViewer();
  if (!viewer) redirect("/signin?next=/admin");
  if (!STAFF_ROLES.includes(viewer.role)) {
    return (
      <section className="card" role="alert">
        <h1>Access denied</h1>
        <p>The admin console is only for admin and support staff.</p>
      </section>
    );
  }
  // No console without a second factor (docs/adr/0050): the enrolment page comes first.
  if ((await (await serverCaller()).security.status()).mustEnrol) redirect("/security?next=/admin");
  return <>{children}</>;
}
