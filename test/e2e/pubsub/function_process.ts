// The real Functions Framework serving nodelbEvent in its own process (Node 24 loads the
// TypeScript entry as Cloud Run loads the built one), on 127.0.0.1, with its JSON log lines
// captured for assertions instead of printed; and its peak RSS (VmHWM) on request. Does I/O.
import { freePort } from '../../cluster/processes.ts';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
// The package's `bin` (its exports map does not expose it): <package root>/build/src/main.js.
const FRAMEWORK_MAIN = join(dirname(createRequire(import.meta.url).resolve('@google-cloud/functions-framework')), 'main.js');

export interface LogLine {
  severity?: string;
  event?: string;
  message?: string;
  'logging.googleapis.com/labels'?: Record<string, string>;
  [k: string]: unknown;
}

export interface FunctionProcess {
  url: string; // http://127.0.0.1:PORT
  pid: number;
  lines: LogLine[];
  /** Non-JSON output (the framework's banner, stack traces). */
  other: string[];
  /** Peak resident memory of the process so far, MiB (Linux /proc). */
  peakRssMiB(): number;
  stop(): Promise<void>;
}


/** `entry`: the module that registers the functions (default functions/index.ts). */
export async function startFunctionProcess(env: Record<string, string>, opts: { entry?: string; nodeArgs?: string[]; target?: string } = {}): Promise<FunctionProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [...(opts.nodeArgs ?? []), FRAMEWORK_MAIN, `--target=${opts.target ?? 'nodelbEvent'}`, '--signature-type=cloudevent', `--source=${opts.entry ?? 'functions/index.ts'}`, `--port=${port}`],
    { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: LogLine[] = [];
  const other: string[] = [];
  const take = (line: string) => {
    if (line.startsWith('{')) {
      try {
        lines.push(JSON.parse(line) as LogLine);
        return;
      } catch {
        // fall through
      }
    }
    if (line.trim() !== '') other.push(line);
  };
  createInterface({ input: child.stdout }).on('line', take);
  createInterface({ input: child.stderr }).on('line', take);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the Functions Framework exited (${child.exitCode}):\n${other.join('\n')}`);
    try {
      // A TCP connect, not a request: anything but a CloudEvent makes the framework print a stack.
      await new Promise<void>((resolve, reject) => {
        const sock = connect(port, '127.0.0.1', () => {
          sock.destroy();
          resolve();
        });
        sock.once('error', reject);
      });
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`the Functions Framework did not listen on ${url} within 30 s:\n${other.join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    pid: child.pid!,
    lines,
    other,
    peakRssMiB() {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return m ? Math.round(Number(m[1]) / 1024) : NaN;
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
