import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Figures } from './node-info.js';

export type JobFigures = Pick<Figures, 'inFlight' | 'processed' | 'failed'>;

/** Samples the process's runtime health between two heartbeats. */
export class FigureSampler {
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();

  constructor(private readonly jobs: () => JobFigures) {
    this.loop.enable();
  }

  sample(): Figures {
    const now = performance.now();
    const cpu = process.cpuUsage(this.lastCpu);
    const elapsedMs = Math.max(1, now - this.lastAt);
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    const memory = process.memoryUsage();
    const lagMs = this.loop.count > 0 ? this.loop.percentile(99) / 1e6 : 0;
    this.loop.reset();
    return {
      ...this.jobs(),
      heapUsedBytes: memory.heapUsed,
      rssBytes: memory.rss,
      cpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / elapsedMs) * 1000) / 10,
      eventLoopLagMs: Math.round(lagMs * 10) / 10,
    };
  }

  stop(): void {
    this.loop.disable();
  }
}
