import type { Metadata } from "next";
import { Revenue } from "@/components/revenue";
import { serverCaller } from "@/server/api/server-caller";
import { getViewer } from "@/server/auth/session";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Fee revenue" };

/** Admins only (the layout admits staff; revenue and its settings are the admin's). */
export default async function RevenuePage() {
  const viewer = await getViewer();
  if (viewer?.role !== "admin") {
    return (
      <section className="card" role="alert">
        <h1>Access denied</h1>
        <p>Fee revenue is only for admins.</p>
      </section>
    );
  }
  const api = await serverCaller();
  return <Revenue initial={await api.fees.revenue()} />;
}
