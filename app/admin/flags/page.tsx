import type { Metadata } from "next";
import { LeaderFlagsReview } from "@/components/leader-flags-review";
import { getViewer } from "@/server/auth/session";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Leader flags" };

/** The admin layout already refuses anyone who is not staff or has no second factor. */
export default async function FlagsPage() {
  const viewer = await getViewer();
  // Support reads the flags; only an admin clears one (the procedure checks it again).
  return <LeaderFlagsReview canClear={viewer?.role === "admin"} />;
}
