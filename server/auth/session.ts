import { getServerSession } from "next-auth";
import type { UserRole } from "../../db/schema";
import { authOptions } from "./options";

export type Viewer = { id: string; email: string; name: string; role: UserRole };

export async function getViewer(): Promise<Viewer | null> {
  const session = await getServerSession(authOptions);
  const u = session?.user;
  if (!u?.id || !u.role) return null;
  return { id: u.id, email: u.email ?? "", name: u.name ?? "", role: u.role };
}

export const STAFF_ROLES: readonly UserRole[] = ["admin", "support"];
