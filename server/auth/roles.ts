import type { UserRole } from "../../db/schema";

export const STAFF_ROLES: readonly UserRole[] = ["admin", "support"];
