// Argument parsing for the `nodelb` command: argv + environment → what to run and with which
// Config, or what to print and the exit status. Pure: no I/O, no process globals.
import { Command, CommanderError, Option } from 'commander';
import { ConfigError, parseConfig, type Config } from '../config.ts';
import type { ClusterTarget } from '../adapters/connect.ts';
import { CONFIG_FLAGS, SYNC_ONLY, flagForEnv, type ConfigFlag } from './flags.ts';

export type Env = Readonly<Record<string, string | undefined>>;
export type LogLevel = Config['logLevel'];
export type OutputFormat = 'text' | 'json';


export interface Invocation {
  command: 'sync' | 'status';
  config: Config; // status: dryRun is always true
  /** GKE clusters (discovery through the Container API), or one kubeconfig (path undefined:
   *  KUBECONFIG or ~/.kube/config). */
  targets: ClusterTarget[];
  output: OutputFormat;
  service?: { namespace: string; name: string }; // status --service ns/name
  detailedExitCode?: boolean; // sync --detailed-exitcode: 3 when done with changes pending
}

export type ParseResult =
  | { kind: 'run'; invocation: Invocation }
  | { kind: 'exit'; code: 0 | 2; stdout: string; stderr: string };

interface Chosen {
  command: 'sync' | 'status';
  cmd: Command;
}

const COMMANDS = {
  sync: 'observe every cluster, plan, and apply: DaemonSets, firewall rules, Service status',
  status: 'read-only: show per claimed Service its IPs, the nodes and why, proxies, firewall rules',
} as const;

const EXAMPLES = `
Examples:
  nodelb sync --cluster projects/my-proj/locations/europe-west1/clusters/prod
  nodelb sync --kubeconfig ~/.kube/config --context dev --dry-run
  nodelb status --service default/web --output json

Targets: --cluster (repeatable) or --kubeconfig/--context; with neither, NODELB_CLUSTERS,
else KUBECONFIG, else ~/.kube/config. Flags override the environment variables named in their
help. Logs are JSON lines on stderr, never on stdout.
Exit status: 0 done (reads trusted, every write applied; a dry run: planned from trusted reads,
whatever it would change; warnings such as a host port taken on a node are listed, not failures),
1 failed and a later run may succeed (a read or write failed; nothing destructive was done on a
failed read), 2 bad usage or configuration, or a person must act first (missing permission,
Autopilot), 3 only with sync --detailed-exitcode: done, and changes are pending.`;

function addFlags(cmd: Command, command: 'sync' | 'status'): void {
  cmd
    .option('--kubeconfig <path>', 'reach the cluster through this kubeconfig (any Kubernetes; GCE features when nodes are gce://)')
    .option('--context <name>', 'kubeconfig context (default: the current context)')
    .addOption(new Option('-o, --output <format>', 'text or json (json: the report alone on stdout)'))
    .option('-v, --verbose', 'log INFO and above (same as --log-level INFO)');
  if (command === 'status') cmd.option('--service <namespace/name>', 'show only this Service');
  if (command === 'sync') cmd.option('--detailed-exitcode', 'exit 3 instead of 0 when done and changes are pending (a dry run with actions, proxies still starting)');
  // status never writes: the flags only writes use are accepted (harmless) but not advertised.
  for (const flag of CONFIG_FLAGS) addConfigFlag(cmd, flag, command === 'status' && SYNC_ONLY.has(flag.env));
}

function addConfigFlag(cmd: Command, flag: ConfigFlag, hidden: boolean): void {
  if (!flag.boolean) {
    const option = new Option(`--${flag.long} <${flag.valueName}>`, flag.description);
    if (flag.repeatable) option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
    if (hidden) option.hideHelp();
    cmd.addOption(option);
    return;
  }
  // Both spellings exist so a flag can override the environment either way; help shows the one
  // that changes the default.
  const on = new Option(`--${flag.long}`, flag.description);
  const off = new Option(`--no-${flag.long}`, flag.offDescription ?? flag.description);
  (flag.defaultOn ? on : off).hideHelp();
  if (hidden) [on, off].forEach((o) => o.hideHelp());
  cmd.addOption(on).addOption(off);
}

function buildProgram(out: { stdout: string; stderr: string }, onAction: (c: Chosen) => void): Command {
  const program = new Command('nodelb')
    .description('LoadBalancer Services on GKE served from the nodes\' own external IPs')
    .exitOverride()
    .configureOutput({ writeOut: (s) => (out.stdout += s), writeErr: (s) => (out.stderr += s) })
    .addHelpText('after', EXAMPLES);
  for (const name of ['sync', 'status'] as const) {
    const cmd = program.command(name).description(COMMANDS[name]);
    addFlags(cmd, name);
    // Unknown flags and stray words are collected and reported with every other problem.
    cmd.allowUnknownOption().allowExcessArguments();
    cmd.action((_opts, self: Command) => onAction({ command: name, cmd: self }));
  }
  return program;
}

export function parseArgs(argv: readonly string[], env: Env): ParseResult {
  const out = { stdout: '', stderr: '' };
  let chosen: Chosen | undefined;
  try {
    buildProgram(out, (c) => (chosen = c)).parse([...argv], { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    // Help and version exit 0; every other commander error (no command, missing value) is usage.
    return { kind: 'exit', code: e.exitCode === 0 ? 0 : 2, stdout: out.stdout, stderr: out.stderr };
  }
  if (chosen === undefined) return { kind: 'exit', code: 2, stdout: '', stderr: 'nodelb: no command given\n' };
  return interpret(chosen, env);
}

function interpret({ command, cmd }: Chosen, env: Env): ParseResult {
  const opts = cmd.opts<Record<string, unknown>>();
  const problems: string[] = [...strayArguments(cmd.args, cmd)];

  const output = (opts.output as string | undefined) ?? 'text';
  if (output !== 'text' && output !== 'json') problems.push(`--output: expected text or json, got "${output}"`);

  // Flags become the environment variables they stand for, then one schema validates both.
  const fromFlags: Record<string, string> = {};
  for (const flag of CONFIG_FLAGS) {
    const value = opts[attributeName(flag.long)];
    if (value === undefined) continue;
    fromFlags[flag.env] = Array.isArray(value) ? value.join(',') : String(value);
  }

  const kubeconfig = opts.kubeconfig as string | undefined;
  const context = opts.context as string | undefined;
  const clusterFlags = fromFlags.NODELB_CLUSTERS !== undefined;
  if (clusterFlags && kubeconfig !== undefined) problems.push('--cluster and --kubeconfig cannot be used together: pick one way to reach the clusters');
  if (clusterFlags && context !== undefined) problems.push('--context needs a kubeconfig: it cannot be used with --cluster');

  let service: Invocation['service'];
  if (typeof opts.service === 'string') {
    const m = /^([^/\s]+)\/([^/\s]+)$/.exec(opts.service);
    if (m) service = { namespace: m[1] ?? '', name: m[2] ?? '' };
    else problems.push(`--service: expected namespace/name, got "${opts.service}"`);
  }

  const explicitLevel = fromFlags.NODELB_LOG_LEVEL ?? nonEmpty(env.NODELB_LOG_LEVEL);
  const merged: Record<string, string | undefined> = {
    ...env,
    ...fromFlags,
    NODELB_LOG_LEVEL: explicitLevel ?? (opts.verbose === true ? 'INFO' : 'WARNING'),
  };
  const useKubeconfig = kubeconfig !== undefined || context !== undefined || (!clusterFlags && list(env.NODELB_CLUSTERS).length === 0);
  // An explicit kubeconfig target wins over NODELB_CLUSTERS from the environment.
  if (useKubeconfig && !clusterFlags) merged.NODELB_CLUSTERS = '';

  let config: Config | undefined;
  try {
    config = parseConfig(merged);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems.push(...e.problems.map((p) => nameTheFlag(p, fromFlags)));
  }

  if (problems.length > 0 || config === undefined) {
    const lines = problems.map((p) => `  - ${p}`).join('\n');
    return {
      kind: 'exit',
      code: 2,
      stdout: '',
      stderr: `nodelb ${command}: invalid arguments:\n${lines}\nRun \`nodelb ${command} --help\` to see the flags.\n`,
    };
  }
  if (command === 'status') config.dryRun = true;
  const targets: ClusterTarget[] = useKubeconfig
    ? [{ kind: 'kubeconfig', ...(kubeconfig !== undefined && { path: kubeconfig }), ...(context !== undefined && { context }) }]
    : config.clusters.map((name) => ({ kind: 'gke', name }));
  const invocation: Invocation = { command, config, targets, output: output as OutputFormat };
  if (service !== undefined) invocation.service = service;
  if (opts.detailedExitcode === true) invocation.detailedExitCode = true;
  return { kind: 'run', invocation };
}

/** Unknown flags (with a suggestion) and operands nobody asked for. */
function strayArguments(args: readonly string[], cmd: Command): string[] {
  const known = cmd.options.filter((o) => !o.hidden && o.long !== undefined).map((o) => o.long as string);
  const problems: string[] = [];
  let previousWasUnknownFlag = false;
  for (const arg of args) {
    if (arg.startsWith('-')) {
      const flag = arg.split('=')[0] ?? arg;
      const hint = closest(flag, known);
      problems.push(`unknown option ${flag}${hint ? ` (did you mean ${hint}?)` : ''}`);
      previousWasUnknownFlag = !arg.includes('=');
    } else {
      // "--bogus 3": the 3 is the unknown flag's value, one problem is enough.
      if (!previousWasUnknownFlag) problems.push(`unexpected argument "${arg}"`);
      previousWasUnknownFlag = false;
    }
  }
  return problems;
}

/** Config problems start with the variable name; say the flag when the value came from one. */
function nameTheFlag(problem: string, fromFlags: Record<string, string>): string {
  const m = /^([A-Z_]+): (.*)$/s.exec(problem);
  const env = m?.[1];
  if (env === undefined || fromFlags[env] === undefined) return problem;
  const flag = flagForEnv(env);
  return flag ? `--${flag.long}: ${m?.[2] ?? ''}` : problem;
}

/** Commander's attribute name for a long flag: max-ips → maxIps. */
function attributeName(long: string): string {
  return long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

const nonEmpty = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v);
const list = (v: string | undefined) => (v ?? '').split(/[\s,]+/).filter((s) => s !== '');

/** The known flag within edit distance 2 (typos), if one is clearly nearest. */
function closest(flag: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = editDistance(flag, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      next[j] = Math.min((row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1, (row[j - 1] ?? 0) + cost);
    }
    row = next;
  }
  return row[b.length] ?? 0;
}
