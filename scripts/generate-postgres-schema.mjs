// Writes prisma/postgres/schema.prisma from prisma/schema.prisma: same models,
// PostgreSQL provider, its own generated client. Run by `npm run db:generate`.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";

const source = readFileSync("prisma/schema.prisma", "utf8");
const target = source
  .replace('provider = "sqlite"', 'provider = "postgresql"')
  .replace('output       = "../generated/prisma/sqlite"', 'output       = "../../generated/prisma/postgres"')
  .replace(
    /^\/\/ Portico's store\.[\s\S]*?\n\n/,
    "// Generated from prisma/schema.prisma by `npm run db:generate`. Do not edit.\n\n",
  );
if (target === source) throw new Error("could not derive the PostgreSQL schema");
mkdirSync("prisma/postgres", { recursive: true });
writeFileSync("prisma/postgres/schema.prisma", target);
