/**
 * Compiles the server half to JavaScript for `npm start` (part of `npm run
 * build`, after `next build`), and the app's routes that the server answers
 * before Next.js (lib/routes.ts) to dist/app: ESM bundles,
 * the @/ alias resolved from tsconfig.json, every npm package left as an
 * import (node_modules is there at run time), source maps so a logged stack
 * trace points at the TypeScript. `npm start` then runs plain Node — no
 * transpiler process, nothing compiled on a request's path.
 */
import { rmSync } from "node:fs";
import { build } from "esbuild";

rmSync("dist", { recursive: true, force: true });
const common = {
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
  // Some bundled CommonJS-style code (the generated Prisma client) uses require and __dirname.
  banner: {
    js: 'import { createRequire as __portico_createRequire } from "node:module"; const require = __portico_createRequire(import.meta.url);',
  },
};
await build({ ...common, entryPoints: ["server/main.ts"], outdir: "dist/server" });
await build({
  ...common,
  entryPoints: ["lib/routes.ts"],
  outdir: "dist/app",
  // Next.js resolves it to nothing in its server build; so does this one.
  alias: { "server-only": "./scripts/empty-module.js" },
});
console.log("Compiled the server to dist/server and the app's routes to dist/app");
