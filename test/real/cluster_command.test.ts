// `npm run cluster` as a person uses it: a child process that prints `ready`, writes a working
// admin kubeconfig and env.sh, serves nodelb's CLI in --cluster mode, and on SIGTERM stops
// every component it started and frees every port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../cluster/main.ts', import.meta.url));
const CLI = fileURLToPath(new URL('../../functions/cli/main.ts', import.meta.url));

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.on('connect', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}

/** PIDs of processes whose parent is `pid`. */
function children(pid: number): number[] {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).trim();
  return out ? out.split('\n').map((l) => Number(l.trim())) : [];
}

test('npm run cluster: ready, usable by kubectl and nodelb, and gone without a trace on SIGTERM', async () => {
  const out = mkdtempSync(join(tmpdir(), 'nodelb-cluster-cmd-'));
  try {
    const child = spawn(process.execPath, [MAIN, '--nodes', '2', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 120_000;
    while (!stdout.includes('ready\n')) {
      if (child.exitCode !== null) assert.fail(`cluster exited ${child.exitCode} before ready:\n${stderr}`);
      if (Date.now() > deadline) assert.fail(`no ready line within 120 s:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(stdout, 'ready\n', 'stdout carries only the ready line');
    const components = children(child.pid ?? 0);
    assert.equal(components.length, 4, 'etcd, kube-apiserver, kube-controller-manager, kube-scheduler');

    const kubeconfig = join(out, 'kubeconfig');
    const nodes = execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'get', 'nodes', '-o', 'name'], { encoding: 'utf8' });
    assert.deepEqual(nodes.trim().split('\n'), ['node/node-1', 'node/node-2']);
    const server = /server: https:\/\/127\.0\.0\.1:(\d+)/.exec(readFileSync(kubeconfig, 'utf8'));
    assert.ok(server, 'the kubeconfig names a loopback server');

    const env: Record<string, string> = {};
    for (const line of readFileSync(join(out, 'env.sh'), 'utf8').trim().split('\n')) {
      const m = /^export (\w+)=(.*)$/.exec(line);
      assert.ok(m, `env.sh line: ${line}`);
      env[m[1] as string] = m[2] as string;
    }
    assert.deepEqual(Object.keys(env).sort(), ['GOOGLE_OAUTH_ACCESS_TOKEN', 'NODELB_CLUSTER', 'NODELB_COMPUTE_ENDPOINT', 'NODELB_CONTAINER_ENDPOINT']);
    // Unbound, nodelb's identity may not list Services: the CLI reaches the cluster and says so.
    const run = await new Promise<{ code: number | null; stdout: string }>((resolve) =>
      execFile(process.execPath, [CLI, 'sync', '--cluster', env.NODELB_CLUSTER ?? '', '--dry-run', '--output', 'json'], { env: { PATH: process.env.PATH ?? '', HOME: out, ...env }, encoding: 'utf8', timeout: 60_000 }, (err, so) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout: so }),
      ),
    );
    assert.notEqual(run.code, 0);
    assert.match(run.stdout, /grant the function's identity \\?"list\\?" on \\?"services\\?"/);

    const ports = [...readFileSync(join(out, 'control-plane', 'admin.kubeconfig'), 'utf8').matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    for (const pid of components) assert.throws(() => process.kill(pid, 0), `component ${pid} is gone`);
    for (const port of [...ports, Number(server[1])]) assert.equal(await portOpen(port), false, `port ${port} is closed`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
