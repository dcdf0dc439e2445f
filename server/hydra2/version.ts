import { readFileSync } from "node:fs";
import { join } from "node:path";

let version: string | undefined;

/** Portico's version, from package.json (read once). */
export function readVersion(): string {
  if (version === undefined) {
    const manifest = JSON.parse(readFileSync(join(process.cwd(), "package.json"), "utf8")) as {
      version?: string;
    };
    version = `v${manifest.version ?? "0.0.0"}`;
  }
  return version;
}
