// The CLI's configuration flags, derived from config.ts's table of variables so that flags and
// environment variables cannot drift apart: NODELB_MAX_IPS ↔ --max-ips, booleans get --x and
// --no-x. Pure data.
import { VARIABLES, type FlagSpec, type Variable } from '../config.ts';

export interface ConfigFlag {
  env: string; // the environment variable the flag stands for
  long: string; // flag name without the leading "--"
  boolean: boolean; // --x / --no-x instead of --x <value>
  defaultOn: boolean; // booleans: true unless turned off
  repeatable: boolean; // values are collected and joined with ","
  valueName: string; // shown in help: --max-ips <n>
  description: string; // help text, from the variable's meaning
  /** Booleans on by default: the help text of --no-x, which is the spelling help shows. */
  offDescription?: string;
}

const isEnvOnly = (cli: Variable['cli']): cli is { envOnly: string } => 'envOnly' in cli;

/** Variables that have no flag, and why, by name. Everything else in VARIABLES gets one. */
export const ENV_ONLY: Readonly<Record<string, string>> = Object.fromEntries(
  VARIABLES.flatMap((x) => (isEnvOnly(x.cli) ? [[x.env, x.cli.envOnly] as const] : [])).sort(([a], [b]) => (a < b ? -1 : 1)),
);

/** Flags `nodelb status` does not use (it writes nothing): accepted there, not shown in its help. */
export const SYNC_ONLY: ReadonlySet<string> = new Set(VARIABLES.filter((x) => !isEnvOnly(x.cli) && x.cli.syncOnly).map((x) => x.env));

const kebab = (env: string) => env.replace(/^NODELB_/, '').toLowerCase().replaceAll('_', '-');

/** Markdown backticks read badly in --help. */
const plain = (s: string) => s.replaceAll('`', '');

function flagOf(x: Variable, spec: FlagSpec): ConfigFlag {
  const { kind, env } = x;
  const defaultOn = kind.boolean && kind.default === 'true';
  const off = defaultOn ? `${spec.off ?? `turn off: ${plain(x.meaning)}`} (env ${env}=false; default: on)` : undefined;
  return {
    env,
    long: spec.long ?? kebab(env),
    boolean: kind.boolean,
    defaultOn,
    repeatable: spec.repeatable ?? false,
    valueName: spec.valueName ?? kind.valueName,
    description: `${plain(spec.meaning ?? x.meaning)} (env ${env}; default: ${spec.cliDefault ?? plain(kind.default)})`,
    ...(off !== undefined ? { offDescription: off } : {}),
  };
}

export const CONFIG_FLAGS: readonly ConfigFlag[] = VARIABLES.flatMap((x) => (isEnvOnly(x.cli) ? [] : [flagOf(x, x.cli)]));

export function flagForEnv(env: string): ConfigFlag | undefined {
  return CONFIG_FLAGS.find((f) => f.env === env);
}
