import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { CopyDetail } from "@/components/copy-detail";
import { serverCaller } from "@/server/api/server-caller";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Customer copy (read-only)" };

/** Support sees what the customer sees, without the controls; the look-up is audited. */
export default async function CustomerCopyPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const api = await serverCaller();
  const found = await api.admin.customerCopy({ id }).catch((err: unknown) => {
    if (err instanceof TRPCError && (err.code === "NOT_FOUND" || err.code === "BAD_REQUEST"))
      return null;
    throw err;
  });
  if (!found) notFound();
  const { customer, ...detail } = found;
  return (
    <div className="stack">
      <p className="note" role="note" data-testid="read-only-banner">
        Read-only view of <strong>{customer.email}</strong>&apos;s copy, as they see it. This
        look-up is recorded in the <Link href="/admin/audit">audit log</Link>.{" "}
        <Link href={`/admin?q=${encodeURIComponent(customer.email)}`}>Back to the customer</Link>
      </p>
      <CopyDetail initial={detail} readOnly />
    </div>
  );
}
