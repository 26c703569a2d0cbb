// Child processes of the local control plane (does I/O): start a binary with its output in a
// log file, wait until a health check passes (failing with the log's tail), stop it for sure.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface Component {
  readonly name: string;
  readonly logFile: string;
  readonly child: ChildProcess;
  /** The exit, if it already happened ("exited with code 1"). */
  exited(): string | undefined;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
// A test process that dies without stopping its cluster must not leave servers behind.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export function startComponent(name: string, bin: string, args: string[], logDir: string): Component {
  const logFile = join(logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let exit: string | undefined;
  const done = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exit = signal ? `killed by ${signal}` : `exited with code ${code}`;
      running.delete(child);
      resolve();
    });
    child.on('error', (err) => {
      exit = `could not start: ${err.message}`;
      running.delete(child);
      resolve();
    });
  });
  return {
    name,
    logFile,
    child,
    exited: () => exit,
    async stop() {
      if (exit === undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await done;
        clearTimeout(timer);
      }
      await new Promise<void>((resolve) => log.end(resolve));
    },
  };
}

export function logTail(component: Component, lines = 25): string {
  try {
    return readFileSync(component.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Polls `check` until it answers true; throws naming the component, its exit and its log tail. */
export async function waitUntil(component: Component, what: string, check: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exit = component.exited();
    if (exit) throw new Error(`${component.name} ${exit} before ${what}; last log lines (${component.logFile}):\n${logTail(component)}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${component.name}: no ${what} within ${timeoutMs / 1000} s; last log lines (${component.logFile}):\n${logTail(component)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** GET over HTTP(S) on loopback answering 200; `ca` verifies, otherwise the component's self-signed cert is accepted. */
export function httpOk(url: string, opts: { ca?: string; token?: string } = {}): Promise<boolean> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const tls = u.protocol === 'https:' ? (opts.ca ? { ca: opts.ca } : { rejectUnauthorized: false }) : {};
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(u, { method: 'GET', timeout: 2_000, ...tls, headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {} }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** A port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
