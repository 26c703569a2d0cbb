// Runs one sync phase in a fresh process (build/bench/child/sync_phase.js, the compiled code) and
// returns its result (does I/O). Its stdout is the function's log, discarded unread.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SimEndpoints } from './sim.ts';
import { DEPLOYED_NODE_OPTIONS, NAIVE_NODE_OPTIONS } from './latency.ts';

export interface PhaseResult {
  wallMs: number;
  /** From the start of the sync to the last status write it made (undefined: it made none). */
  statusesWrittenMs?: number;
  loadMs: number;
  durationMs: number;
  ok: boolean;
  converged: boolean;
  rounds: number;
  calls: { reads: number; writes: number; byApi: Record<string, { reads: number; writes: number }> };
  outcomes: Record<string, number>;
  errors: string[];
  maxRssKiB: number;
}

const CHILD = fileURLToPath(new URL('../../build/bench/child/sync_phase.js', import.meta.url));

export function functionEnv(sim: SimEndpoints, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODELB_CLUSTERS: sim.clusterName,
    NODELB_CONTAINER_ENDPOINT: sim.containerEndpoint,
    NODELB_COMPUTE_ENDPOINT: sim.computeEndpoint,
    GOOGLE_OAUTH_ACCESS_TOKEN: sim.token,
    NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? DEPLOYED_NODE_OPTIONS,
    ...extra,
  };
}

export async function runPhase(sim: SimEndpoints, opts: { naive?: boolean; env?: Record<string, string>; nodeArgs?: string[] } = {}): Promise<PhaseResult> {
  const dir = mkdtempSync(join(tmpdir(), 'nodelb-bench-'));
  const result = join(dir, 'result.json');
  try {
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), CHILD, `--result=${result}`, ...(opts.naive ? ['--naive'] : [])], {
      env: { ...functionEnv(sim, opts.env), ...(opts.naive ? { NODE_OPTIONS: NAIVE_NODE_OPTIONS } : {}) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`sync phase exited with ${code}: ${stderr}`);
    return JSON.parse(readFileSync(result, 'utf8')) as PhaseResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
