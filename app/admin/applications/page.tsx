import type { Metadata } from "next";
import { LeaderApplicationReview } from "@/components/leader-application-review";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Leader applications" };

/** The admin layout already refuses anyone who is not staff or has no second factor. */
export default function ApplicationsPage() {
  return <LeaderApplicationReview />;
}
