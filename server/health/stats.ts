const WINDOW = 1024;

/**
 * Per-process request counters and latencies for GET /health/stats. Each
 * worker keeps its own; the answer says which process it describes.
 */
export class Stats {
  private readonly startedAt = Date.now();
  private requests = 0;
  private readonly byStatus = new Map<string, number>();
  private readonly latencies = new Float64Array(WINDOW);
  private recorded = 0;

  record(status: number, milliseconds: number): void {
    this.requests++;
    const bucket = `${Math.floor(status / 100)}xx`;
    this.byStatus.set(bucket, (this.byStatus.get(bucket) ?? 0) + 1);
    this.latencies[this.recorded++ % WINDOW] = milliseconds;
  }

  snapshot() {
    const count = Math.min(this.recorded, WINDOW);
    const sorted = Array.from(this.latencies.subarray(0, count)).sort((a, b) => a - b);
    const at = (q: number) =>
      count === 0 ? 0 : round(sorted[Math.min(count - 1, Math.floor(q * count))] as number);
    const memory = process.memoryUsage();
    return {
      pid: process.pid,
      uptime_seconds: Math.floor((Date.now() - this.startedAt) / 1000),
      requests: { total: this.requests, by_status: Object.fromEntries(this.byStatus) },
      latency_ms: {
        window: count,
        mean: count === 0 ? 0 : round(sorted.reduce((sum, value) => sum + value, 0) / count),
        p50: at(0.5),
        p90: at(0.9),
        p99: at(0.99),
        max: count === 0 ? 0 : round(sorted[count - 1] as number),
      },
      memory: { rss_bytes: memory.rss, heap_used_bytes: memory.heapUsed },
    };
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
