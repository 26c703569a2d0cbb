// How much time and memory nodelb's Kubernetes client takes to list proxy pods and nodes of
// realistic size (pods ~5 KB with managedFields, GKE nodes ~15 KB with images, conditions and
// labels) from a local HTTPS server answering pages as the API server does. Each list runs in a
// fresh process with the deployed NODE_OPTIONS; prints one line per list. The client's CPU time
// is steadier than its wall time on a shared machine. Does I/O.
//
//   node bench/list_parse.ts [--pods 20000,100000] [--nodes 5000] [--runs 3] [--latency-ms 0]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEPLOYED_NODE_OPTIONS } from './lib/latency.ts';
import { nodeJson, podJson } from './lib/kube_objects.ts';

const { values } = parseArgs({
  options: {
    pods: { type: 'string', default: '20000,100000' },
    nodes: { type: 'string', default: '5000' },
    runs: { type: 'string', default: '3' },
    'latency-ms': { type: 'string', default: '0' },
    // Internal: the measuring child.
    child: { type: 'string' },
    server: { type: 'string' },
    ca: { type: 'string' },
  },
  strict: true,
});


/** The measuring child: one list through the client, then its time, peak RSS and item count. */
async function measure(what: 'pods' | 'nodes', server: string, caFile: string): Promise<void> {
  const [{ createRestKubeApi }, { bearerCredentials }, { CallCounter }] = await Promise.all([
    import('../functions/adapters/kube_rest.ts'),
    import('../functions/adapters/kube_credentials.ts'),
    import('../functions/platform/calls.ts'),
  ]);
  const caData = Buffer.from(readFileSync(caFile)).toString('base64');
  const kube = createRestKubeApi({ credentials: bearerCredentials({ server, caData, tokens: { kind: 'static', token: async () => 'bench' } }), counter: new CallCounter() });
  const rssBefore = process.memoryUsage.rss();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const items = what === 'pods' ? (await kube.listProxyPods('nodelb-system', 'nodelb.dev/daemonset')).length : (await kube.listNodes()).length;
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const heapAfter = process.memoryUsage().heapUsed;
  process.stdout.write(`${JSON.stringify({ items, ms, cpuMs: (cpu.user + cpu.system) / 1000, maxRssMiB: process.resourceUsage().maxRSS / 1024, rssBeforeMiB: rssBefore / 2 ** 20, heapAfterMiB: heapAfter / 2 ** 20 })}\n`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nodelb-list-bench-'));
  try {
    const { makePki } = await import('../test/cluster/pki.ts');
    const pki = makePki(dir, []);
    const latencyMs = Number(values['latency-ms']);
    const server = createServer({ key: readFileSync(pki.keyFile), cert: readFileSync(pki.certFile) }, (req, res) => {
      const url = new URL(req.url ?? '/', 'https://x');
      const total = Number(url.searchParams.get('total') ?? 0) || currentTotal;
      const limit = Number(url.searchParams.get('limit') ?? 500);
      const from = Number(url.searchParams.get('continue') || 0);
      const to = Math.min(total, from + limit);
      const isPods = url.pathname.endsWith('/pods');
      const renderStarted = performance.now();
      const items: string[] = [];
      for (let i = from; i < to; i++) items.push(rendered(isPods ? 'pods' : 'nodes', i));
      // As the API server writes it: the list metadata (with continue) before the items.
      const meta = JSON.stringify({ resourceVersion: '12345', ...(to < total ? { continue: String(to) } : {}) });
      const body = `{"kind":"${isPods ? 'PodList' : 'NodeList'}","apiVersion":"v1","metadata":${meta},"items":[${items.join(',')}]}`;
      renderMs += performance.now() - renderStarted;
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(body);
      }, latencyMs);
    });
    let currentTotal = 0;
    let renderMs = 0; // the server's own time, which shares the machine with the client
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const commit = (() => {
      try {
        return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      } catch {
        return 'unknown';
      }
    })();
    console.log(`# list_parse at ${commit}; NODE_OPTIONS=${DEPLOYED_NODE_OPTIONS}; server latency ${latencyMs} ms; medians of ${values.runs}`);
    console.log(`# item sizes: pod ${Buffer.byteLength(podJson(1))} B, node ${Buffer.byteLength(nodeJson(1))} B`);
    const cases: ['pods' | 'nodes', number][] = [
      ...values.pods.split(',').filter(Boolean).map((n): ['pods', number] => ['pods', Number(n)]),
      ...values.nodes.split(',').filter(Boolean).map((n): ['nodes', number] => ['nodes', Number(n)]),
    ];
    for (const [what, n] of cases) {
      currentTotal = n;
      renderMs = 0;
      const runs: Result[] = [];
      for (let r = 0; r < Number(values.runs); r++) runs.push(await child(what, url, pki.caFile));
      const med = (f: (x: Result) => number) => median(runs.map(f));
      const one = runs[0] as Result;
      if (one.items !== n) throw new Error(`${what}: listed ${one.items}, expected ${n}`);
      console.log(`${what.padEnd(5)} ${String(n).padStart(7)}: ${med((x) => x.ms).toFixed(0).padStart(6)} ms (CPU ${med((x) => x.cpuMs).toFixed(0)} ms), peak RSS ${med((x) => x.maxRssMiB).toFixed(0)} MiB (${med((x) => x.rssBeforeMiB).toFixed(0)} before the list), heap after ${med((x) => x.heapAfterMiB).toFixed(0)} MiB; server rendering ${(renderMs / runs.length).toFixed(0)} ms per run`);
    }
    server.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** 1000 distinct items per kind, rendered once and repeated: rendering every one of 100 000
 *  pods took the server longer than the client's whole list on this machine. */
const renderedCache = { pods: [] as string[], nodes: [] as string[] };
function rendered(kind: 'pods' | 'nodes', i: number): string {
  const cache = renderedCache[kind];
  return (cache[i % 1000] ??= kind === 'pods' ? podJson(i % 1000) : nodeJson(i % 1000));
}

interface Result {
  items: number;
  ms: number;
  cpuMs: number;
  maxRssMiB: number;
  rssBeforeMiB: number;
  heapAfterMiB: number;
}

function child(what: string, server: string, ca: string): Promise<Result> {
  const script = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [script, '--child', what, '--server', server, '--ca', ca], {
      env: { ...process.env, NODE_OPTIONS: DEPLOYED_NODE_OPTIONS },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Result) : reject(new Error(`${what} child exited ${code}`))));
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

if (values.child) await measure(values.child as 'pods' | 'nodes', values.server ?? '', values.ca ?? '');
else await main();
