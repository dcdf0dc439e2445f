import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** The pid and every descendant of it, from /proc (Linux only; empty elsewhere). */
function processTree(root: number): number[] {
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
function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
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

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every Linux architecture Node supports. */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used so far, in milliseconds; 0 when it is gone. */
function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after the command name.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Measures the CPU time a process tree uses between start and `stop()` (ms). */
export function cpuMeter(root: number): { stop(): number } {
  const pids = processTree(root);
  const before = new Map(pids.map((pid) => [pid, cpuMsOf(pid)]));
  return {
    stop() {
      let used = 0;
      for (const pid of processTree(root)) used += cpuMsOf(pid) - (before.get(pid) ?? 0);
      return used;
    },
  };
}

/** The 1-minute load average, to tell a quiet machine from a busy one. */
export function loadAverage(): number {
  try {
    return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
  } catch {
    return Number.NaN;
  }
}

/** The commit measured, and the server-side files that differed from it (uncommitted work). */
export function codeVersion(): { commit: string; uncommitted: string[] } {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    const status = execFileSync("git", ["status", "--porcelain", "--", "server", "db", "lib", "prisma"], {
      encoding: "utf8",
    });
    const uncommitted = status
      .split("\n")
      .filter(Boolean)
      .map((line) => line.slice(3));
    return { commit, uncommitted };
  } catch {
    return { commit: "unknown", uncommitted: [] };
  }
}

/** The processes whose command line passes `test` (e.g. PostgreSQL backends of one database). */
function processesWhere(test: (cmdline: string) => boolean): number[] {
  const found: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (test(readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " "))) found.push(Number(entry));
    } catch {
      // gone
    }
  }
  return found;
}

/**
 * CPU time used between start and `stop()` (ms) by the PostgreSQL backends
 * serving `database` (their process title reads "postgres: … <user> <database> <host> …").
 * Backends that appear meanwhile count in full. Shared processes (WAL writer,
 * checkpointer) are left out.
 */
export function postgresBackendsMeter(database: string): { stop(): number } {
  const test = (cmdline: string) => cmdline.startsWith("postgres:") && cmdline.includes(` ${database} `);
  const before = new Map(processesWhere(test).map((pid) => [pid, cpuMsOf(pid)]));
  return {
    stop() {
      let used = 0;
      for (const pid of processesWhere(test)) used += cpuMsOf(pid) - (before.get(pid) ?? 0);
      return used;
    },
  };
}

/**
 * The RSS of every process of a server's tree, each with its role: the
 * process the bench started ("primary"), cluster workers, helpers (an
 * esbuild service, …) by their command name.
 */
export function processRss(root: number): Array<{ pid: number; role: string; rssBytes: number }> {
  return processTree(root).map((pid) => {
    let role = "process";
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
      const environ = readFileSync(`/proc/${pid}/environ`, "utf8");
      if (pid === root) role = "primary";
      else if (environ.includes("NODE_UNIQUE_ID=")) role = "worker";
      else role = (cmdline[0] ?? "process").split("/").pop() ?? "process";
    } catch {
      // gone, or not ours to read
    }
    return { pid, role, rssBytes: rssOf(pid) };
  });
}
