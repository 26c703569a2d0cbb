// This function instance's configuration: parsed from the environment on first use and kept,
// re-parsed only when a NODELB_* (or token) variable changes — which never happens on Cloud Run,
// and lets tests switch configurations within one process. The parser (and zod) load on first
// use, not while the framework starts. Reads the env it is given; no I/O.
import type { Config, ConfigError } from '../config.ts';

export type ConfigResult = { ok: true; config: Config } | { ok: false; error: ConfigError };

const RELEVANT = /^(NODELB_|GOOGLE_OAUTH_ACCESS_TOKEN$|PUBSUB_EMULATOR_HOST$)/;

let cached: { key: string; result: ConfigResult } | undefined;

function keyOf(env: Readonly<Record<string, string | undefined>>): string {
  const entries = Object.entries(env)
    .filter(([k, v]) => RELEVANT.test(k) && v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(entries);
}

/** The parsed configuration, or the ConfigError listing every problem. */
export async function instanceConfig(env: Readonly<Record<string, string | undefined>> = process.env): Promise<ConfigResult> {
  const key = keyOf(env);
  if (cached?.key === key) return cached.result;
  const { ConfigError: ConfigErrorClass, parseConfig } = await import('../config.ts');
  let result: ConfigResult;
  try {
    result = { ok: true, config: parseConfig(env, { fanout: true }) };
  } catch (e) {
    if (!(e instanceof ConfigErrorClass)) throw e;
    result = { ok: false, error: e };
  }
  cached = { key, result };
  return result;
}

/** One CRITICAL line for Cloud Logging (log.ts stops at ERROR; a function that cannot start its
 *  work at all deserves the level that pages). Listed problems go to jsonPayload.problems. */
export function logConfigError(error: ConfigError, write: (line: string) => void = (l) => process.stdout.write(l)): void {
  const entry = {
    severity: 'CRITICAL',
    message: `nodelb cannot run: ${error.problems.length} configuration problem(s): ${error.problems.join('; ')}`,
    event: 'config.invalid',
    time: new Date().toISOString(),
    problems: error.problems,
  };
  write(`${JSON.stringify(entry)}\n`);
}
