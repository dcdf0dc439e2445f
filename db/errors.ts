/** True for Prisma's unique-constraint violation (P2002), whatever the backend. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002";
}

/** True for Prisma's foreign-key violation (P2003): e.g. a row for a person deleted meanwhile. */
export function isForeignKeyViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2003";
}
