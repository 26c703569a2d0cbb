// Start-to-ready of a function entry point: spawn the Functions Framework on a compiled entry
// (as Cloud Run functions does), time until its port answers HTTP, read its RSS then (does I/O).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { DEPLOYED_NODE_OPTIONS } from './latency.ts';

export interface StartupSample {
  readyMs: number;
  rssMiB: number;
}

const FRAMEWORK = fileURLToPath(new URL('../../node_modules/@google-cloud/functions-framework/build/src/main.js', import.meta.url));

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', method: 'GET', agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** `source`: a directory with package.json#main, or the entry file itself. */
/** `nodeOptions`: NODE_OPTIONS of the process (default: the deployed setting). */
export async function measureStartup(source: string, target: string, cwd: string, nodeOptions = process.env.BENCH_NODE_OPTIONS ?? DEPLOYED_NODE_OPTIONS): Promise<StartupSample> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [FRAMEWORK, `--target=${target}`, `--source=${source}`, `--port=${port}`], {
    cwd,
    env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: nodeOptions },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`functions-framework exited: ${stderr}`);
      if (await answers(port)) break;
      if (performance.now() - started > 60_000) throw new Error(`functions-framework not ready after 60 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const readyMs = performance.now() - started;
    return { readyMs, rssMiB: rssMiB(child.pid ?? 0) };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }
}
