import autocannon from "autocannon";
import { cpuMeter, postgresBackendsMeter, sampleRss } from "./proc.ts";

/** One HTTP request, repeated under load. */
export interface Target {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
}

export interface Measurement {
  /** Successful (2xx) responses per second (flows per second for a flow). */
  rate: number;
  p50: number;
  p99: number;
  /** Socket errors, timeouts and non-2xx answers (failed flows for a flow). */
  errors: number;
  total: number;
  seconds: number;
  peakRssBytes: number;
  /** CPU time (user + system) the server's processes used per successful request or flow, in µs. */
  cpuUsPerOp: number;
  /** On PostgreSQL: CPU time of the database's backends per successful request or flow, in µs. */
  databaseCpuUsPerOp?: number;
  statusCodes?: Record<string, number>;
  /** The rounds a combined measurement was made of. */
  rounds?: Array<{ rate: number; p50: number; p99: number; cpuUsPerOp: number }>;
}

export interface LoadSettings {
  connections: number;
  seconds: number;
  warmupSeconds: number;
}

/** A discarded run to warm the server (JIT, caches, connection pools). */
export async function warmUp(target: Target, settings: LoadSettings): Promise<void> {
  if (settings.warmupSeconds <= 0) return;
  await autocannon({
    url: target.url,
    method: target.method ?? "GET",
    headers: target.headers ?? {},
    body: target.body,
    connections: settings.connections,
    timeout: 10,
    duration: settings.warmupSeconds,
  });
}

/** Several rounds of one server and scenario as one measurement. */
export function combine(rounds: Measurement[]): Measurement {
  const ok = (m: Measurement) => m.rate * m.seconds;
  const total = rounds.reduce((sum, m) => sum + ok(m), 0);
  const seconds = rounds.reduce((sum, m) => sum + m.seconds, 0);
  const weighted = (pick: (m: Measurement) => number) =>
    total > 0 ? rounds.reduce((sum, m) => sum + pick(m) * ok(m), 0) / total : 0;
  const withDatabase = rounds.every((m) => m.databaseCpuUsPerOp !== undefined);
  const statusCodes: Record<string, number> = {};
  for (const m of rounds) {
    for (const [code, count] of Object.entries(m.statusCodes ?? {}))
      statusCodes[code] = (statusCodes[code] ?? 0) + count;
  }
  return {
    rate: seconds > 0 ? total / seconds : 0,
    p50: weighted((m) => m.p50),
    p99: weighted((m) => m.p99),
    errors: rounds.reduce((sum, m) => sum + m.errors, 0),
    total: rounds.reduce((sum, m) => sum + m.total, 0),
    seconds,
    peakRssBytes: Math.max(...rounds.map((m) => m.peakRssBytes)),
    cpuUsPerOp: weighted((m) => m.cpuUsPerOp),
    ...(withDatabase ? { databaseCpuUsPerOp: weighted((m) => m.databaseCpuUsPerOp ?? 0) } : {}),
    statusCodes,
    rounds: rounds.map((m) => ({ rate: m.rate, p50: m.p50, p99: m.p99, cpuUsPerOp: m.cpuUsPerOp })),
  };
}

/** Warm-up (discarded), then a measured autocannon run while the server's RSS is sampled. */
export async function measureHttp(
  target: Target,
  settings: LoadSettings,
  serverPid: number,
  postgresDatabase?: string,
) {
  const options = {
    url: target.url,
    method: target.method ?? "GET",
    headers: target.headers ?? {},
    body: target.body,
    connections: settings.connections,
    timeout: 10,
  };
  if (settings.warmupSeconds > 0) await autocannon({ ...options, duration: settings.warmupSeconds });
  const rss = sampleRss(serverPid);
  const cpu = cpuMeter(serverPid);
  const database = postgresDatabase ? postgresBackendsMeter(postgresDatabase) : undefined;
  const result = await autocannon({ ...options, duration: settings.seconds });
  const cpuMs = cpu.stop();
  const databaseMs = database?.stop();
  const peakRssBytes = rss.stop();
  const ok = result["2xx"];
  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count]),
  );
  return {
    rate: ok / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    total: result.requests.total,
    seconds: result.duration,
    peakRssBytes,
    cpuUsPerOp: ok > 0 ? (cpuMs * 1000) / ok : 0,
    ...(databaseMs !== undefined ? { databaseCpuUsPerOp: ok > 0 ? (databaseMs * 1000) / ok : 0 } : {}),
    statusCodes,
  } satisfies Measurement;
}

/** Exact percentile of a sorted sample (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/**
 * Runs `once` in `concurrency` loops until `seconds` have passed (after a
 * discarded warm-up of `warmupSeconds`); each call is one iteration (a flow).
 * The first error is kept to explain a row.
 */
export async function measureLoop(
  once: () => Promise<unknown>,
  settings: { concurrency: number; seconds: number; warmupSeconds: number },
  serverPid: number,
  postgresDatabase?: string,
) {
  const run = async (seconds: number) => {
    const latencies: number[] = [];
    let errors = 0;
    let firstError: unknown;
    const started = performance.now();
    const deadline = started + seconds * 1000;
    await Promise.all(
      Array.from({ length: settings.concurrency }, async () => {
        while (performance.now() < deadline) {
          const t0 = performance.now();
          try {
            await once();
            latencies.push(performance.now() - t0);
          } catch (error) {
            errors++;
            firstError ??= error;
            // A failing server answers fast: do not spin.
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        }
      }),
    );
    return { latencies, errors, firstError, elapsed: (performance.now() - started) / 1000 };
  };
  if (settings.warmupSeconds > 0) await run(settings.warmupSeconds);
  const rss = sampleRss(serverPid);
  const cpu = cpuMeter(serverPid);
  const database = postgresDatabase ? postgresBackendsMeter(postgresDatabase) : undefined;
  const { latencies, errors, firstError, elapsed } = await run(settings.seconds);
  const cpuMs = cpu.stop();
  const databaseMs = database?.stop();
  const peakRssBytes = rss.stop();
  latencies.sort((a, b) => a - b);
  const measurement: Measurement = {
    rate: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
    total: latencies.length + errors,
    seconds: elapsed,
    peakRssBytes,
    cpuUsPerOp: latencies.length > 0 ? (cpuMs * 1000) / latencies.length : 0,
    ...(databaseMs !== undefined
      ? { databaseCpuUsPerOp: latencies.length > 0 ? (databaseMs * 1000) / latencies.length : 0 }
      : {}),
  };
  return { measurement, firstError };
}
