// Configuration: one table of variables — name, kind of value, default, meaning, CLI flag — from
// which the parser, the CLI's flags (cli/flags.ts) and the README's table (npm run docs:config)
// are all derived. Validated once at start; every problem is listed in one ConfigError.
import { z } from 'zod';
import { DEFAULT_DENIED_PORTS, type PlanConfig } from './core/plan_config.ts';
import { clusterNames, httpUrl, labelSelector, matching, onOff, oneOf, optionalMatching, portRanges, secret, text, wholeNumber, wordList, type Kind } from './config_values.ts';

export { parsePortRanges } from './config_values.ts';
export { CLUSTER_NAME_FORM, formatClusterName, parseClusterName, type ClusterName } from './cluster_name.ts';

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface Config extends PlanConfig {
  clusters: string[]; // full names, each valid for parseClusterName
  dryRun: boolean;
  computeEndpoint: string; // base URL up to and including /compute/v1
  containerEndpoint: string; // base URL up to and including /v1
  accessToken?: string; // GOOGLE_OAUTH_ACCESS_TOKEN: used instead of ADC
  /** Which control-plane endpoint of a GKE cluster to use. 'auto': DNS endpoint when it
   *  accepts external traffic, else the public IP endpoint, else the private one. */
  endpoint: 'auto' | 'dns' | 'public' | 'private';
  concurrency: number; // parallel writes within one cluster
  clusterConcurrency: number; // clusters synced at once
  timeBudgetMs: number; // stop retrying and starting writes after this
  settleMs: number; // after DaemonSet writes, wait up to this for proxy pods to be Ready
  logLevel: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';
  /** A scheduled round with more clusters than this publishes one message per cluster. */
  fanoutThreshold: number;
  fanoutTopic?: string; // projects/P/topics/T: the function's own trigger topic
  pubsubEndpoint: string; // base URL up to and including /v1
}

export type Env = Readonly<Record<string, string | undefined>>;

/** How the CLI offers a variable. Everything has a sensible default: the flag is the variable's
 *  name in kebab case (NODELB_MAX_IPS → --max-ips) with the kind's placeholder. */
export interface FlagSpec {
  long?: string; // instead of the kebab-case name
  valueName?: string; // instead of the kind's placeholder
  repeatable?: boolean; // --cluster a --cluster b: values joined with ","
  meaning?: string; // when one flag means less than the variable (one cluster, not a list)
  off?: string; // booleans on by default: what --no-x does (help shows that spelling)
  cliDefault?: string; // when the CLI's default differs, said in the flag's own help
  syncOnly?: boolean; // only writes use it: `nodelb status` accepts it but does not show it
}

export interface Variable {
  env: string;
  field: keyof Config;
  kind: Kind<unknown>;
  meaning: string; // Markdown, as the README shows it
  /** The CLI flag, or why there is none. */
  cli: FlagSpec | { envOnly: string };
  /** Where the raw value comes from, when not just env[name]. */
  read?: (env: Env) => string | undefined;
}

/** One row, typed: the kind's value must fit the Config field it fills. */
function v<F extends keyof Config>(env: string, field: F, kind: Kind<Config[F]>, meaning: string, cli: Variable['cli'] = {}, read?: Variable['read']): Variable {
  return { env, field, kind: kind as Kind<unknown>, meaning, cli, ...(read ? { read } : {}) };
}

/** Where the fan-out publishes: NODELB_PUBSUB_ENDPOINT, else the emulator's convention
 *  (PUBSUB_EMULATOR_HOST=host:port, plain HTTP), else Google's. */
export function pubsubEndpointOf(env: Env): string | undefined {
  const explicit = env.NODELB_PUBSUB_ENDPOINT?.trim();
  if (explicit) return explicit;
  const emulator = env.PUBSUB_EMULATOR_HOST?.trim();
  return emulator ? `http://${emulator}/v1` : undefined;
}

const FANOUT_ONLY = 'the function\'s scheduled fan-out; the CLI syncs every cluster it is given';

// The API server requires a label-style key with a prefix for loadBalancerClass.
const PREFIXED_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const TOPIC = /^projects\/[a-z][-a-z0-9]{4,28}[a-z0-9]\/topics\/[A-Za-z][-A-Za-z0-9._~+%]{2,254}$/;

/** Every variable, in the README's order. Names and meanings are what users set: keep them. */
export const VARIABLES: readonly Variable[] = [
  v('NODELB_CLUSTERS', 'clusters', clusterNames(), 'GKE clusters to sync, `projects/P/locations/L/clusters/C`, comma or space separated', {
    // One cluster per flag, like gcloud's and kubectl's singular flags; repeat it for more.
    long: 'cluster',
    repeatable: true,
    meaning: 'GKE cluster to sync, projects/P/locations/L/clusters/C; repeat the flag for several',
  }),
  v('NODELB_LOAD_BALANCER_CLASS', 'loadBalancerClass', matching('nodelb.dev/node-ip', PREFIXED_NAME, 'a prefixed name like nodelb.dev/node-ip', 'class'), '`spec.loadBalancerClass` that nodelb claims'),
  v('NODELB_NAMESPACE', 'namespace', matching('nodelb-system', DNS_LABEL, 'a namespace name (lowercase letters, digits and "-", at most 63)', 'namespace'), 'namespace of the proxy DaemonSets (created by `manifests/`)'),
  v('NODELB_PROXY_IMAGE', 'proxyImage', matching('rancher/klipper-lb:v0.4.17', /^[a-z0-9]\S*$/, 'an image reference like registry.example/klipper-lb:v0.4.17', 'image'), 'proxy image; mirror it to a registry you control'),
  v('NODELB_DRY_RUN', 'dryRun', onOff(false), 'plan and report, write nothing', { syncOnly: true }),
  v('NODELB_FORWARDING', 'forwarding', oneOf(['init-container', 'sysctls'] as const, 'init-container', 'mode'), '`init-container` (privileged init sets ip_forward) or `sysctls` (pod sysctls; node pool must allow-list them)'),
  v('NODELB_MANAGE_FIREWALL', 'manageFirewall', onOff(true), 'create/patch/delete the GCE firewall rules; `false` if you manage them yourself', {
    off: 'leave the GCE firewall rules alone: you create and delete them yourself',
  }),
  v('NODELB_NODE_SELECTOR', 'nodeSelector', labelSelector(), 'label selector (`k=v,k2=v2`) for nodes that run proxies'),
  v('NODELB_DENIED_PORTS', 'deniedPorts', portRanges(DEFAULT_DENIED_PORTS), 'ports never opened (Warning event instead)'),
  v('NODELB_ALLOWED_NAMESPACES', 'allowedNamespaces', wordList('(all)', 'namespaces'), 'namespaces allowed to use the class, comma separated'),
  v('NODELB_ALLOW_SCTP', 'allowSCTP', onOff(false), 'accept SCTP ports'),
  v('NODELB_MAX_PORTS', 'maxPortsPerService', wholeNumber(100, 1, 100), 'most ports one Service may ask for'),
  v('NODELB_MAX_IPS', 'maxIPs', wholeNumber(0, 0, 1000), 'most node IPs published per Service (0: all); annotation `nodelb.dev/max-ips` overrides'),
  v('NODELB_IP_MODE', 'ipMode', oneOf(['VIP', 'Proxy'] as const, 'VIP', 'mode'), '`VIP` or `Proxy` (`status.loadBalancer.ingress[].ipMode`, Kubernetes ≥ 1.30)'),
  v('NODELB_PREFER_STANDARD_NODES', 'preferStandardNodes', onOff(true), 'publish standard nodes before spot/preemptible ones', {
    off: 'rank spot/preemptible nodes like standard ones when choosing IPs under max-ips',
  }),
  v('NODELB_STATIC_IP_LABEL', 'staticIPLabel', text('kubip_assigned', 'label'), 'node label marking a reserved static IP; such nodes are preferred (empty: off)'),
  v('NODELB_ALLOW_INTERNAL_IPS', 'allowInternalIPs', onOff(false), 'publish InternalIP of non-GCE nodes that have no ExternalIP'),
  v('NODELB_FIREWALL_PRIORITY', 'firewallPriority', wholeNumber(1000, 0, 65535), 'priority of the firewall rules'),
  v('NODELB_COMPUTE_ENDPOINT', 'computeEndpoint', httpUrl('https://compute.googleapis.com/compute/v1'), 'Compute API base URL (Private Service Connect, tests)'),
  v('NODELB_CONTAINER_ENDPOINT', 'containerEndpoint', httpUrl('https://container.googleapis.com/v1'), 'Container API base URL'),
  v('NODELB_ENDPOINT', 'endpoint', oneOf(['auto', 'dns', 'public', 'private'] as const, 'auto', 'kind'), 'GKE control-plane endpoint: `auto`, `dns`, `public` or `private`'),
  v('NODELB_CONCURRENCY', 'concurrency', wholeNumber(8, 1, 64), 'writes in flight per cluster', { syncOnly: true }),
  v('NODELB_CLUSTER_CONCURRENCY', 'clusterConcurrency', wholeNumber(4, 1, 64), 'clusters synced at once'),
  v('NODELB_TIME_BUDGET_SECONDS', 'timeBudgetMs', wholeNumber(240, 5, 3500, { scale: 1000, valueName: 'seconds' }), 'a sync stops retrying and starting writes after this (keep below the function timeout)'),
  v('NODELB_SETTLE_SECONDS', 'settleMs', wholeNumber(15, 0, 300, { scale: 1000, valueName: 'seconds' }), 'after DaemonSet writes, wait up to this for proxy pods to become Ready before writing status', { syncOnly: true }),
  v('NODELB_LOG_LEVEL', 'logLevel', oneOf(['DEBUG', 'INFO', 'WARNING', 'ERROR'] as const, 'INFO', 'level'), '`DEBUG`, `INFO`, `WARNING` or `ERROR`', {
    cliDefault: 'WARNING, or INFO with --verbose; the function logs INFO',
  }),
  v(
    'NODELB_FANOUT_THRESHOLD',
    'fanoutThreshold',
    wholeNumber(8, 1, 100_000),
    'function only: a scheduled round of more clusters than this publishes one message per cluster to `NODELB_FANOUT_TOPIC`, each synced in its own invocation (see "How many clusters")',
    { envOnly: FANOUT_ONLY },
  ),
  v('NODELB_FANOUT_TOPIC', 'fanoutTopic', optionalMatching(TOPIC, 'projects/PROJECT/topics/TOPIC', 'topic'), 'function only: the fan-out topic, `projects/P/topics/T` (the function\'s trigger topic); needed when there are more clusters than the threshold', {
    envOnly: FANOUT_ONLY,
  }),
  v(
    'NODELB_PUBSUB_ENDPOINT',
    'pubsubEndpoint',
    httpUrl('https://pubsub.googleapis.com/v1'),
    'function only: Pub/Sub API base URL for the fan-out (`PUBSUB_EMULATOR_HOST=host:port` is honoured when this is unset)',
    { envOnly: FANOUT_ONLY },
    pubsubEndpointOf,
  ),
  v('GOOGLE_OAUTH_ACCESS_TOKEN', 'accessToken', secret('(ADC)'), 'a ready access token instead of Application Default Credentials', {
    // A token on the command line is readable by every local user through `ps`.
    envOnly: 'a secret: command lines are visible to other users (ps), so it is read from the environment only',
  }),
];

/** Environment variable → documented default and meaning (derived from VARIABLES). */
export const ENV_DOCS: Readonly<Record<string, { default: string; meaning: string }>> = Object.fromEntries(
  VARIABLES.map((x) => [x.env, { default: x.kind.default, meaning: x.meaning }]),
);

/** Not configurable: what a rule opens to when a Service names no source ranges. */
const DEFAULT_SOURCE_RANGES: PlanConfig['defaultSourceRanges'] = { IPv4: '0.0.0.0/0', IPv6: '::/0' };

const schema = z.object(Object.fromEntries(VARIABLES.map((x) => [x.env, x.kind.schema])));

/** Parses the environment (or CLI flags mapped to the same names). Throws ConfigError.
 *  `fanout`: the function's scheduled round may fan out (the CLI never does), so the topic it
 *  needs is required then. */
export function parseConfig(env: Env, opts: { fanout?: boolean } = {}): Config {
  const raw = Object.fromEntries(VARIABLES.map((x) => [x.env, x.read ? x.read(env) : env[x.env]]));
  const r = schema.safeParse(raw);
  if (!r.success) throw new ConfigError(r.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`));
  const values = r.data as Record<string, unknown>;
  // Every field is filled by its row; v() checked each kind against its field's type.
  const config = Object.fromEntries(VARIABLES.map((x) => [x.field, values[x.env]])) as unknown as Config;
  config.defaultSourceRanges = { ...DEFAULT_SOURCE_RANGES };
  // Checked here, not at the first schedule: a deployment that cannot fan out should not start.
  if (opts.fanout && config.clusters.length > config.fanoutThreshold && config.fanoutTopic === undefined) {
    throw new ConfigError([
      `NODELB_FANOUT_TOPIC: required when NODELB_CLUSTERS names more clusters (${config.clusters.length}) than NODELB_FANOUT_THRESHOLD (${config.fanoutThreshold}); set it to the function's trigger topic, projects/PROJECT/topics/TOPIC`,
    ]);
  }
  return config;
}
