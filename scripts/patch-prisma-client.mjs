// Run by `npm run db:generate` after `prisma generate`: changes how each
// generated client loads Prisma's query compiler (WebAssembly).
//
// The generated code imports it from a module of @prisma/client that holds
// the wasm as one base64 string (4.4 MB for SQLite, 4.9 MB for PostgreSQL).
// A module is never unloaded: every process that talks to the database would
// keep that string twice for its whole life (the module's source, which V8
// keeps, and the exported string) — about 9 MB of heap per worker for bytes
// it needs once. Patched, the client reads the same file as plain text,
// decodes it and compiles it; the text is garbage right after. The bytes and
// the compiled module are the same, so nothing else changes. Should the file
// not be where Node resolves it, or not hold a compilable module (another
// Prisma version), the client falls back to the import it generated.
import { readFileSync, writeFileSync } from "node:fs";

const CLIENTS = ["generated/prisma/sqlite/internal/class.ts", "generated/prisma/postgres/internal/class.ts"];

const GENERATED =
  /( {2}getQueryCompilerWasmModule: async \(\) => \{\n)( {4}const \{ wasm \} = await import\(("@prisma\/client\/runtime\/query_compiler_\w+_bg\.\w+\.wasm-base64\.mjs")\)\n {4}return await decodeBase64AsWasm\(wasm\)\n)( {2}\},)/;

for (const file of CLIENTS) {
  const source = readFileSync(file, "utf8");
  if (source.includes("readFileSync(new URL(import.meta.resolve(")) continue;
  const match = GENERATED.exec(source);
  if (!match) {
    throw new Error(
      `${file}: the generated query compiler loader is not the expected one (a new Prisma version?); update scripts/patch-prisma-client.mjs`,
    );
  }
  const [whole, head, original, specifier, tail] = match;
  const patched = `${head}    // Patched by scripts/patch-prisma-client.mjs: read as text, not imported, so that the base64
    // is not kept alive by a module that is never unloaded.
    try {
      const { readFileSync } = await import('node:fs')
      const text = readFileSync(new URL(import.meta.resolve(${specifier})), 'latin1')
      return await decodeBase64AsWasm(text.slice(text.indexOf('"') + 1, text.lastIndexOf('"')))
    } catch {
  ${original.replace(/\n(?=.)/g, "\n  ")}    }
${tail}`;
  writeFileSync(file, source.replace(whole, patched));
}
console.log("Patched the query compiler loader of the generated Prisma clients");
