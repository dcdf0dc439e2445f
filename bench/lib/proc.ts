import { readdirSync, readFileSync } from "node:fs";

/** The pid and every descendant of it, from /proc (Linux only; empty elsewhere). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name may hold spaces and parentheses: the fields start after the last ")".
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const parent = Number(fields[1]);
      const list = children.get(parent) ?? [];
      list.push(Number(entry));
      children.set(parent, list);
    } catch {
      // the process ended while we looked
    }
  }
  const tree: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** Resident set size of one process in bytes (VmRSS), 0 when it is gone. */
export function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The summed RSS of a process and its descendants. */
export function treeRss(root: number): number {
  return processTree(root).reduce((sum, pid) => sum + rssOf(pid), 0);
}

/**
 * Samples the summed RSS of a process tree every `intervalMs` until stopped;
 * `stop()` answers the peak seen (bytes). The tree is re-read every 2 s (a
 * full /proc scan), the RSS of its members at every sample (cheap).
 */
export function sampleRss(root: number, intervalMs = 200): { stop(): number } {
  let pids = processTree(root);
  let treeAt = Date.now();
  const sum = () => pids.reduce((total, pid) => total + rssOf(pid), 0);
  let peak = sum();
  const timer = setInterval(() => {
    if (Date.now() - treeAt > 2000) {
      pids = processTree(root);
      treeAt = Date.now();
    }
    peak = Math.max(peak, sum());
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, sum());
    },
  };
}
