// Starts the benchmark's local GKE in its own process — bench/sim_server.ts (the real control
// plane, by size) or bench/shape_server.ts (a realistic shape, real API server or simulator) —
// and talks to it over JSON lines (does I/O).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface Latency {
  kubeMs: number;
  computeMs: number;
  containerMs: number;
  operationMs: number;
}

export interface SimEndpoints {
  kubeUrl: string;
  token: string;
  computeEndpoint: string;
  containerEndpoint: string;
  clusterName: string;
  pid: number;
  startupMs: number;
  /** Shape worlds: time to seed nodes and Services (startupMs also holds the wait for node age). */
  seededMs?: number;
}

export interface VerifyResult {
  services: number;
  wrong: number;
  example?: string;
  daemonSets?: number;
  firewalls?: number;
  pods?: number;
  /** Shape worlds on the real API server: errors of the DaemonSet status stand-in. */
  standinErrors?: number;
}

export type ServerCalls = Record<string, { reads: number; writes: number; continued: number }>;

export interface SimProcess {
  endpoints: SimEndpoints;
  /** Requests the simulated servers saw since the last reset. */
  calls(reset: boolean): Promise<ServerCalls>;
  churn(fraction: number): Promise<{ changed: number }>;
  /** Waits until every proxy pod the last sync asked for is Ready (the real controllers are asynchronous). */
  settle(): Promise<{ settledMs: number }>;
  verify(): Promise<VerifyResult>;
  stop(): Promise<void>;
}

const SERVER = fileURLToPath(new URL('../sim_server.ts', import.meta.url));
const SHAPE_SERVER = fileURLToPath(new URL('../shape_server.ts', import.meta.url));

/** A world by size (sim_server.ts: the real control plane with its controllers and kubelets), or
 *  a realistic shape on the real API server or the simulator (shape_server.ts). */
export type WorldSpec = { services: number; nodes: number } | { shape: string; server: 'real' | 'sim' };

export async function startSim(world: WorldSpec, latency: Latency, nodeArgs: string[] = []): Promise<SimProcess> {
  const what = 'shape' in world ? [SHAPE_SERVER, `--shape=${world.shape}`, `--server=${world.server}`] : [SERVER, `--nodes=${world.nodes}`, `--services=${world.services}`];
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [
      ...nodeArgs,
      ...what,
      `--latency-kube=${latency.kubeMs}`,
      `--latency-compute=${latency.computeMs}`,
      `--latency-container=${latency.containerMs}`,
      `--latency-operation=${latency.operationMs}`,
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const lines: Interface = createInterface({ input: child.stdout });
  const waiting: { resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  let exited: Error | undefined;
  lines.on('line', (line) => waiting.shift()?.resolve(line));
  child.once('exit', (code) => {
    exited = new Error(`simulator exited (${code}): ${stderr}`);
    for (const w of waiting.splice(0)) w.reject(exited);
  });
  const next = () =>
    new Promise<string>((resolve, reject) => {
      if (exited) reject(exited);
      else waiting.push({ resolve, reject });
    });
  const ask = async <T>(cmd: object): Promise<T> => {
    const answer = next();
    child.stdin.write(`${JSON.stringify(cmd)}\n`);
    const parsed = JSON.parse(await answer) as T & { error?: string };
    if (parsed.error) throw new Error(`simulator: ${parsed.error}`);
    return parsed;
  };
  const endpoints = JSON.parse(await next()) as SimEndpoints;
  return {
    endpoints,
    calls: (reset) => ask({ op: 'calls', reset }),
    churn: (fraction) => ask({ op: 'churn', fraction }),
    settle: () => ask({ op: 'settle' }),
    verify: () => ask({ op: 'verify' }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin.end();
      }),
  };
}
