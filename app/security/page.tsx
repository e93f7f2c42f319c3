import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { MfaSetup } from "@/components/mfa-setup";
import { serverCaller } from "@/server/api/server-caller";
import { getViewer } from "@/server/auth/session";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Sign-in security" };

/** Only same-site paths (a crafted link must not bounce the user elsewhere). */
function safeNext(raw: string | undefined) {
  return raw && raw.startsWith("/") && !raw.startsWith("//") ? raw : undefined;
}

export default async function SecurityPage({
  searchParams,
}: {
  searchParams: Promise<{ next?: string }>;
}) {
  const viewer = await getViewer();
  if (!viewer) redirect("/signin?next=/security");
  const status = await (await serverCaller()).security.status();
  const { next } = await searchParams;
  return <MfaSetup required={status.required} next={safeNext(next)} />;
}
