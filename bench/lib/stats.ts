// Medians, percentiles and the machine description the results carry (pure, apart from reading os facts).
import { availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os';

export function median(xs: readonly number[]): number {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Nearest-rank percentile (p in 0–100): with fewer than 100 / (100 − p) samples, the largest. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  /** 1, 5 and 15 minute load averages when the results were written: the cores are shared, and
   *  a load well above the core count slows every figure (loadAverageAtStart: when the run began). */
  loadAverage?: number[];
  loadAverageAtStart?: number[];
}

export function loadAverage(): number[] {
  return loadavg().map((x) => Math.round(x * 10) / 10);
}

export function machine(): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${type()} ${release()}`,
    loadAverage: loadAverage(),
  };
}
