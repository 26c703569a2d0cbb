// The CLI's configuration flags, derived from ENV_DOCS so that flags and environment variables
// cannot drift apart: NODELB_MAX_IPS ↔ --max-ips, booleans get --x and --no-x. Pure data.
import { ENV_DOCS } from '../config.ts';

export interface ConfigFlag {
  env: string; // the environment variable the flag stands for
  long: string; // flag name without the leading "--"
  boolean: boolean; // --x / --no-x instead of --x <value>
  defaultOn: boolean; // booleans: true unless turned off
  repeatable: boolean; // values are collected and joined with ","
  valueName: string; // shown in help: --max-ips <n>
  description: string; // help text, from ENV_DOCS
  /** Booleans on by default: the help text of --no-x, which is the spelling help shows. */
  offDescription?: string;
}

/** Variables that have no flag, and why. Everything else in ENV_DOCS gets one. */
export const ENV_ONLY: Readonly<Record<string, string>> = {
  // A token on the command line is readable by every local user through `ps`.
  GOOGLE_OAUTH_ACCESS_TOKEN: 'a secret: command lines are visible to other users (ps), so it is read from the environment only',
  // The CLI syncs the clusters it is given itself; only the scheduled function fans out.
  NODELB_FANOUT_THRESHOLD: 'the function\'s scheduled fan-out; the CLI syncs every cluster it is given',
  NODELB_FANOUT_TOPIC: 'the function\'s scheduled fan-out; the CLI syncs every cluster it is given',
  NODELB_PUBSUB_ENDPOINT: 'the function\'s scheduled fan-out; the CLI syncs every cluster it is given',
};

/** Flags whose name is not the variable name in kebab case. */
const RENAMED: Readonly<Record<string, { long: string; valueName: string; repeatable: boolean; meaning: string }>> = {
  // One cluster per flag, like `gcloud`'s and `kubectl`'s singular flags; repeat it for more.
  NODELB_CLUSTERS: { long: 'cluster', valueName: 'name', repeatable: true, meaning: 'GKE cluster to sync, projects/P/locations/L/clusters/C; repeat the flag for several' },
};

const VALUE_NAMES: Readonly<Record<string, string>> = {
  NODELB_MAX_IPS: 'n',
  NODELB_MAX_PORTS: 'n',
  NODELB_CONCURRENCY: 'n',
  NODELB_CLUSTER_CONCURRENCY: 'n',
  NODELB_FIREWALL_PRIORITY: 'n',
  NODELB_TIME_BUDGET_SECONDS: 'seconds',
  NODELB_SETTLE_SECONDS: 'seconds',
  NODELB_COMPUTE_ENDPOINT: 'url',
  NODELB_CONTAINER_ENDPOINT: 'url',
  NODELB_DENIED_PORTS: 'ports',
  NODELB_ALLOWED_NAMESPACES: 'namespaces',
  NODELB_NODE_SELECTOR: 'selector',
  NODELB_PROXY_IMAGE: 'image',
  NODELB_LOAD_BALANCER_CLASS: 'class',
  NODELB_NAMESPACE: 'namespace',
  NODELB_STATIC_IP_LABEL: 'label',
  NODELB_LOG_LEVEL: 'level',
  NODELB_IP_MODE: 'mode',
  NODELB_FORWARDING: 'mode',
  NODELB_ENDPOINT: 'kind',
};

/** What the --no-x spelling does, for booleans that are on by default (help shows that one). */
const OFF_MEANINGS: Readonly<Record<string, string>> = {
  NODELB_MANAGE_FIREWALL: 'leave the GCE firewall rules alone: you create and delete them yourself',
  NODELB_PREFER_STANDARD_NODES: 'rank spot/preemptible nodes like standard ones when choosing IPs under max-ips',
};

/** Defaults that differ in the CLI, said once, in the flag's own help. */
const CLI_DEFAULTS: Readonly<Record<string, string>> = {
  NODELB_LOG_LEVEL: 'WARNING, or INFO with --verbose; the function logs INFO',
};

/** Flags `nodelb status` does not use (it writes nothing): accepted there, not shown in its help. */
export const SYNC_ONLY: ReadonlySet<string> = new Set(['NODELB_DRY_RUN', 'NODELB_CONCURRENCY', 'NODELB_SETTLE_SECONDS']);

const kebab = (env: string) => env.replace(/^NODELB_/, '').toLowerCase().replaceAll('_', '-');

/** Markdown backticks read badly in --help. */
const plain = (s: string) => s.replaceAll('`', '');

export const CONFIG_FLAGS: readonly ConfigFlag[] = Object.entries(ENV_DOCS)
  .filter(([env]) => !(env in ENV_ONLY))
  .map(([env, doc]) => {
    const renamed = RENAMED[env];
    const boolean = doc.default === 'true' || doc.default === 'false';
    const fallback = CLI_DEFAULTS[env] ?? plain(doc.default);
    const off = boolean && doc.default === 'true' ? `${OFF_MEANINGS[env] ?? `turn off: ${plain(doc.meaning)}`} (env ${env}=false; default: on)` : undefined;
    return {
      env,
      long: renamed?.long ?? kebab(env),
      boolean,
      defaultOn: doc.default === 'true',
      repeatable: renamed?.repeatable ?? false,
      valueName: renamed?.valueName ?? VALUE_NAMES[env] ?? 'value',
      description: `${plain(renamed?.meaning ?? doc.meaning)} (env ${env}; default: ${fallback})`,
      ...(off !== undefined ? { offDescription: off } : {}),
    };
  });

export function flagForEnv(env: string): ConfigFlag | undefined {
  return CONFIG_FLAGS.find((f) => f.env === env);
}
