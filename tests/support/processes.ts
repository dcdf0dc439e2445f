import { readdirSync, readFileSync } from "node:fs";

/** The processes whose parent is `pid` (Linux /proc). */
export function childrenOf(pid: number): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** A process's command line, NUL-separated (empty once it has exited). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return "";
  }
}

/**
 * The workers a primary started from TypeScript has forked: its children but
 * the esbuild service tsx may start under it while it transforms a file it
 * has not cached yet.
 */
export function workersOf(pid: number): number[] {
  return childrenOf(pid).filter((child) => !commandLine(child).includes("esbuild"));
}
