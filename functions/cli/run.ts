// Runs one `nodelb` invocation: parse, sync (or dry-run for status), print, and return the exit
// status. Does I/O only through the streams and the sync it is given; main.ts wires the process.
import type { Config } from '../config.ts';
import type { RunReport } from '../runtime/report.ts';
import { createLogger, type LogSink } from '../platform/log.ts';
import type { syncAll } from '../runtime/sync.ts';
import { parseArgs, type Env, type Invocation } from './args.ts';
import { formatStatusText, statusView } from './format_status.ts';
import { formatSyncText } from './format_sync.ts';
import { EXIT, exitStatus } from '../core/outcome.ts';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { missingKubeconfig } from './kubeconfig.ts';
import type { TextOptions } from './table.ts';

export interface OutStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface CliIO {
  stdout: OutStream;
  stderr: OutStream;
}

export interface CliDeps {
  /** The engine; loaded lazily so that --help and usage errors do not load the client libraries. */
  sync?: typeof syncAll;
  /** Whether a file exists (the kubeconfig check); fs.existsSync by default. */
  exists?: (path: string) => boolean;
}

export const DEFAULT_WIDTH = 100;

export function textOptions(stdout: OutStream, env: Env): TextOptions {
  const tty = stdout.isTTY === true;
  return {
    color: tty && env.NO_COLOR === undefined && env.TERM !== 'dumb',
    width: tty && stdout.columns ? stdout.columns : DEFAULT_WIDTH,
  };
}

export async function runCli(argv: readonly string[], env: Env, io: CliIO, deps: CliDeps = {}): Promise<number> {
  const parsed = parseArgs(argv, env);
  if (parsed.kind === 'exit') {
    if (parsed.stdout) io.stdout.write(parsed.stdout);
    if (parsed.stderr) io.stderr.write(parsed.stderr);
    return parsed.code;
  }
  const inv = parsed.invocation;
  // client-node finds the home directory as os.homedir() does, HOME or else the user database.
  const missing = missingKubeconfig(inv.targets, { HOME: homedir(), ...env }, deps.exists ?? existsSync);
  if (missing !== undefined) {
    io.stderr.write(`nodelb ${inv.command}: ${missing}\n`);
    return EXIT.refused;
  }
  const report = await runSync(inv, io, deps);
  return inv.command === 'sync' ? printSync(inv, report, io, env) : printStatus(inv, report, io, env);
}

async function runSync(inv: Invocation, io: CliIO, deps: CliDeps): Promise<RunReport> {
  const sync = deps.sync ?? (await import('../runtime/sync.ts')).syncAll;
  // Logs are for diagnosis; the report is the output. So they go to stderr, and stdout stays
  // parseable with --output json.
  // Stack traces help with bugs, not with a refused permission: only --verbose (or DEBUG) shows them.
  const keepStacks = inv.config.logLevel === 'DEBUG' || inv.config.logLevel === 'INFO';
  const sink: LogSink = (entry) => {
    const { stack_trace, ...rest } = entry;
    io.stderr.write(`${JSON.stringify(keepStacks ? { ...rest, stack_trace } : rest)}\n`);
  };
  const logger = createLogger({ level: inv.config.logLevel, sink, fields: { component: 'cli' } });
  // The per-node decisions are Services × nodes: made only where they are shown (status, and
  // the JSON report), not for the text of a sync.
  const explain = inv.command === 'status' || inv.output === 'json';
  const planner = explain ? (await import('../core/plan.ts')).planExplained : undefined;
  return sync(inv.targets, inv.config as Config, { logger, trigger: 'cli', dryRun: inv.config.dryRun, ...(planner ? { planner } : {}) });
}

function printSync(inv: Invocation, report: RunReport, io: CliIO, env: Env): number {
  io.stdout.write(inv.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatSyncText(report, textOptions(io.stdout, env)));
  return exitStatus(report.outcome, { detailed: inv.detailedExitCode, changesPending: changesPending(report) });
}

/** A dry run with actions, or a sync that left proxies starting or writes skipped. */
export function changesPending(report: RunReport): boolean {
  return report.clusters.some((c) => (c.dryRun ? c.plan.actions.length > 0 : !c.converged));
}

function printStatus(inv: Invocation, report: RunReport, io: CliIO, env: Env): number {
  const view = statusView(report, inv.service);
  const found = view.clusters.some((c) => c.services.length > 0);
  io.stdout.write(inv.output === 'json' ? `${JSON.stringify(view, null, 2)}\n` : formatStatusText(view, textOptions(io.stdout, env)));
  if (inv.service && !found && view.ok) {
    io.stderr.write(`nodelb status: no LoadBalancer Service ${inv.service.namespace}/${inv.service.name} in ${view.clusters.length === 1 ? 'the cluster' : 'any cluster'}\n`);
    return 1;
  }
  return exitStatus(report.outcome);
}
