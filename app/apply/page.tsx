import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { LeaderApplicationForm } from "@/components/leader-application-form";
import { getViewer } from "@/server/auth/session";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Become a leader" };

export default async function ApplyPage() {
  if (!(await getViewer())) redirect("/signin?next=/apply");
  return <LeaderApplicationForm />;
}
