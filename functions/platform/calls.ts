// Counts the HTTP requests each adapter makes (pages, retries and operation polls included),
// so a sync report can say what it cost. Pure bookkeeping, no I/O.
import type { ApiName } from './errors.ts';

export interface CallCounts {
  reads: number;
  writes: number;
  byApi: Partial<Record<ApiName, { reads: number; writes: number }>>;
}

export class CallCounter {
  private counts: CallCounts = { reads: 0, writes: 0, byApi: {} };

  read(api: ApiName, n = 1): void {
    this.bucket(api).reads += n;
    this.counts.reads += n;
  }

  write(api: ApiName, n = 1): void {
    this.bucket(api).writes += n;
    this.counts.writes += n;
  }

  snapshot(): CallCounts {
    return structuredClone(this.counts);
  }

  private bucket(api: ApiName): { reads: number; writes: number } {
    return (this.counts.byApi[api] ??= { reads: 0, writes: 0 });
  }
}
