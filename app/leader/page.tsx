import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { LeaderConsole } from "@/components/leader-console";
import { serverCaller } from "@/server/api/server-caller";
import { getViewer } from "@/server/auth/session";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Leader console" };

export default async function LeaderConsolePage() {
  const viewer = await getViewer();
  if (!viewer) redirect("/signin?next=/leader");
  if (viewer.role !== "leader") {
    return (
      <section className="card" role="alert">
        <h1>Leader console</h1>
        <p>
          This console is for leaders. To become one, <a href="/apply">apply to lead</a>.
        </p>
      </section>
    );
  }
  const api = await serverCaller();
  // No console without a second factor (docs/adr/0050): the enrolment page comes first.
  if ((await api.security.status()).mustEnrol) redirect("/security?next=/leader");
  const overview = await api.leaderConsole.overview();
  return <LeaderConsole initial={overview} />;
}
