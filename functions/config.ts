// Configuration: one schema for the function (environment) and the CLI (flags mapped onto the
// same names). Validated once at start; every problem is listed in one ConfigError.
import { z } from 'zod';
import { DEFAULT_DENIED_PORTS, type PlanConfig, type PortRange } from './core/plan_config.ts';
import { parseEqualitySelector } from './core/selectors.ts';

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface Config extends PlanConfig {
  clusters: string[]; // projects/P/locations/L/clusters/C
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

/** Where the fan-out publishes: NODELB_PUBSUB_ENDPOINT, else the emulator's convention
 *  (PUBSUB_EMULATOR_HOST=host:port, plain HTTP), else Google's. */
export function pubsubEndpointOf(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const explicit = env.NODELB_PUBSUB_ENDPOINT?.trim();
  if (explicit) return explicit;
  const emulator = env.PUBSUB_EMULATOR_HOST?.trim();
  return emulator ? `http://${emulator}/v1` : undefined;
}

/** Environment variable → meaning and default. The README's configuration table mirrors this. */
export const ENV_DOCS: Record<string, { default: string; meaning: string }> = {
  NODELB_CLUSTERS: { default: '(none)', meaning: 'GKE clusters to sync, `projects/P/locations/L/clusters/C`, comma or space separated' },
  NODELB_LOAD_BALANCER_CLASS: { default: 'nodelb.dev/node-ip', meaning: '`spec.loadBalancerClass` that nodelb claims' },
  NODELB_NAMESPACE: { default: 'nodelb-system', meaning: 'namespace of the proxy DaemonSets (created by `manifests/`)' },
  NODELB_PROXY_IMAGE: { default: 'rancher/klipper-lb:v0.4.17', meaning: 'proxy image; mirror it to a registry you control' },
  NODELB_DRY_RUN: { default: 'false', meaning: 'plan and report, write nothing' },
  NODELB_FORWARDING: { default: 'init-container', meaning: '`init-container` (privileged init sets ip_forward) or `sysctls` (pod sysctls; node pool must allow-list them)' },
  NODELB_MANAGE_FIREWALL: { default: 'true', meaning: 'create/patch/delete the GCE firewall rules; `false` if you manage them yourself' },
  NODELB_NODE_SELECTOR: { default: '(all nodes)', meaning: 'label selector (`k=v,k2=v2`) for nodes that run proxies' },
  NODELB_DENIED_PORTS: { default: DEFAULT_DENIED_PORTS, meaning: 'ports never opened (Warning event instead)' },
  NODELB_ALLOWED_NAMESPACES: { default: '(all)', meaning: 'namespaces allowed to use the class, comma separated' },
  NODELB_ALLOW_SCTP: { default: 'false', meaning: 'accept SCTP ports' },
  NODELB_MAX_PORTS: { default: '100', meaning: 'most ports one Service may ask for' },
  NODELB_MAX_IPS: { default: '0', meaning: 'most node IPs published per Service (0: all); annotation `nodelb.dev/max-ips` overrides' },
  NODELB_IP_MODE: { default: 'VIP', meaning: '`VIP` or `Proxy` (`status.loadBalancer.ingress[].ipMode`, Kubernetes ≥ 1.30)' },
  NODELB_PREFER_STANDARD_NODES: { default: 'true', meaning: 'publish standard nodes before spot/preemptible ones' },
  NODELB_STATIC_IP_LABEL: { default: 'kubip_assigned', meaning: 'node label marking a reserved static IP; such nodes are preferred (empty: off)' },
  NODELB_ALLOW_INTERNAL_IPS: { default: 'false', meaning: 'publish InternalIP of non-GCE nodes that have no ExternalIP' },
  NODELB_FIREWALL_PRIORITY: { default: '1000', meaning: 'priority of the firewall rules' },
  NODELB_COMPUTE_ENDPOINT: { default: 'https://compute.googleapis.com/compute/v1', meaning: 'Compute API base URL (Private Service Connect, tests)' },
  NODELB_CONTAINER_ENDPOINT: { default: 'https://container.googleapis.com/v1', meaning: 'Container API base URL' },
  NODELB_ENDPOINT: { default: 'auto', meaning: 'GKE control-plane endpoint: `auto`, `dns`, `public` or `private`' },
  NODELB_CONCURRENCY: { default: '8', meaning: 'writes in flight per cluster' },
  NODELB_CLUSTER_CONCURRENCY: { default: '4', meaning: 'clusters synced at once' },
  NODELB_TIME_BUDGET_SECONDS: { default: '240', meaning: 'a sync stops retrying and starting writes after this (keep below the function timeout)' },
  NODELB_SETTLE_SECONDS: { default: '15', meaning: 'after DaemonSet writes, wait up to this for proxy pods to become Ready before writing status' },
  NODELB_LOG_LEVEL: { default: 'INFO', meaning: '`DEBUG`, `INFO`, `WARNING` or `ERROR`' },
  NODELB_FANOUT_THRESHOLD: {
    default: '8',
    meaning: 'function only: a scheduled round of more clusters than this publishes one message per cluster to `NODELB_FANOUT_TOPIC`, each synced in its own invocation (see "How many clusters")',
  },
  NODELB_FANOUT_TOPIC: { default: '(none)', meaning: 'function only: the fan-out topic, `projects/P/topics/T` (the function\'s trigger topic); needed when there are more clusters than the threshold' },
  NODELB_PUBSUB_ENDPOINT: { default: 'https://pubsub.googleapis.com/v1', meaning: 'function only: Pub/Sub API base URL for the fan-out (`PUBSUB_EMULATOR_HOST=host:port` is honoured when this is unset)' },
  GOOGLE_OAUTH_ACCESS_TOKEN: { default: '(ADC)', meaning: 'a ready access token instead of Application Default Credentials' },
};

const CLUSTER_RE = /^projects\/[a-z][-a-z0-9]{4,28}[a-z0-9]\/locations\/[a-z0-9-]+\/clusters\/[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/;

const bool = (name: string, dflt: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return dflt;
      const s = v.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(s)) return true;
      if (['0', 'false', 'no', 'off'].includes(s)) return false;
      ctx.addIssue({ code: 'custom', message: `${name}: expected true or false, got "${v}"` });
      return z.NEVER;
    });

const int = (name: string, dflt: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return dflt;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name}: expected a whole number from ${min} to ${max}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const list = (v: string | undefined) => (v ?? '').split(/[\s,]+/).filter((s) => s !== '');

const oneOf = <T extends string>(name: string, values: readonly T[], dflt: T) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return dflt;
      const hit = values.find((x) => x.toLowerCase() === v.trim().toLowerCase());
      if (hit === undefined) {
        ctx.addIssue({ code: 'custom', message: `${name}: expected one of ${values.join(', ')}, got "${v}"` });
        return z.NEVER;
      }
      return hit;
    });

const url = (name: string, dflt: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      const s = v === undefined || v === '' ? dflt : v.trim();
      try {
        const u = new URL(s);
        if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('scheme');
      } catch {
        ctx.addIssue({ code: 'custom', message: `${name}: expected a full http(s) URL, got "${v}"` });
        return z.NEVER;
      }
      return s.replace(/\/+$/, '');
    });

/** "22,10250-10252" → ranges. */
export function parsePortRanges(text: string): { ranges: PortRange[]; problems: string[] } {
  const ranges: PortRange[] = [];
  const problems: string[] = [];
  for (const part of list(text)) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part);
    const from = m ? Number(m[1]) : NaN;
    const to = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || from < 1 || to > 65535 || from > to) problems.push(`"${part}" is not a port or port range (1-65535)`);
    else ranges.push({ from, to });
  }
  return { ranges, problems };
}

const schema = z.object({
  NODELB_CLUSTERS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const items = list(v);
      for (const c of items)
        if (!CLUSTER_RE.test(c))
          ctx.addIssue({ code: 'custom', message: `NODELB_CLUSTERS: "${c}" is not projects/PROJECT/locations/LOCATION/clusters/NAME` });
      return [...new Set(items)];
    }),
  NODELB_LOAD_BALANCER_CLASS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const s = v === undefined || v === '' ? 'nodelb.dev/node-ip' : v.trim();
      // The API server requires a label-style key with a prefix: "example.com/name".
      if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(s)) {
        ctx.addIssue({ code: 'custom', message: `NODELB_LOAD_BALANCER_CLASS: "${s}" is not a prefixed name like nodelb.dev/node-ip` });
        return z.NEVER;
      }
      return s;
    }),
  NODELB_NAMESPACE: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const s = v === undefined || v === '' ? 'nodelb-system' : v.trim();
      if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(s)) {
        ctx.addIssue({ code: 'custom', message: `NODELB_NAMESPACE: "${s}" is not a valid namespace name` });
        return z.NEVER;
      }
      return s;
    }),
  NODELB_PROXY_IMAGE: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const s = v === undefined || v === '' ? 'rancher/klipper-lb:v0.4.17' : v.trim();
      if (/\s/.test(s) || !/^[a-z0-9]/.test(s)) {
        ctx.addIssue({ code: 'custom', message: `NODELB_PROXY_IMAGE: "${s}" is not an image reference` });
        return z.NEVER;
      }
      return s;
    }),
  NODELB_DRY_RUN: bool('NODELB_DRY_RUN', false),
  NODELB_FORWARDING: oneOf('NODELB_FORWARDING', ['init-container', 'sysctls'] as const, 'init-container'),
  NODELB_MANAGE_FIREWALL: bool('NODELB_MANAGE_FIREWALL', true),
  NODELB_NODE_SELECTOR: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const r = parseEqualitySelector(v ?? '');
      if (!r.ok) {
        ctx.addIssue({ code: 'custom', message: `NODELB_NODE_SELECTOR: ${r.error}` });
        return z.NEVER;
      }
      return r.selector;
    }),
  NODELB_DENIED_PORTS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const r = parsePortRanges(v === undefined ? DEFAULT_DENIED_PORTS : v);
      for (const p of r.problems) ctx.addIssue({ code: 'custom', message: `NODELB_DENIED_PORTS: ${p}` });
      return r.ranges;
    }),
  NODELB_ALLOWED_NAMESPACES: z.string().optional().transform(list),
  NODELB_ALLOW_SCTP: bool('NODELB_ALLOW_SCTP', false),
  NODELB_MAX_PORTS: int('NODELB_MAX_PORTS', 100, 1, 100),
  NODELB_MAX_IPS: int('NODELB_MAX_IPS', 0, 0, 1000),
  NODELB_IP_MODE: oneOf('NODELB_IP_MODE', ['VIP', 'Proxy'] as const, 'VIP'),
  NODELB_PREFER_STANDARD_NODES: bool('NODELB_PREFER_STANDARD_NODES', true),
  NODELB_STATIC_IP_LABEL: z
    .string()
    .optional()
    .transform((v) => (v === undefined ? 'kubip_assigned' : v.trim())),
  NODELB_ALLOW_INTERNAL_IPS: bool('NODELB_ALLOW_INTERNAL_IPS', false),
  NODELB_FIREWALL_PRIORITY: int('NODELB_FIREWALL_PRIORITY', 1000, 0, 65535),
  NODELB_COMPUTE_ENDPOINT: url('NODELB_COMPUTE_ENDPOINT', 'https://compute.googleapis.com/compute/v1'),
  NODELB_CONTAINER_ENDPOINT: url('NODELB_CONTAINER_ENDPOINT', 'https://container.googleapis.com/v1'),
  NODELB_ENDPOINT: oneOf('NODELB_ENDPOINT', ['auto', 'dns', 'public', 'private'] as const, 'auto'),
  NODELB_CONCURRENCY: int('NODELB_CONCURRENCY', 8, 1, 64),
  NODELB_CLUSTER_CONCURRENCY: int('NODELB_CLUSTER_CONCURRENCY', 4, 1, 64),
  NODELB_TIME_BUDGET_SECONDS: int('NODELB_TIME_BUDGET_SECONDS', 240, 5, 3500),
  NODELB_SETTLE_SECONDS: int('NODELB_SETTLE_SECONDS', 15, 0, 300),
  NODELB_LOG_LEVEL: oneOf('NODELB_LOG_LEVEL', ['DEBUG', 'INFO', 'WARNING', 'ERROR'] as const, 'INFO'),
  NODELB_FANOUT_THRESHOLD: int('NODELB_FANOUT_THRESHOLD', 8, 1, 100_000),
  NODELB_FANOUT_TOPIC: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const s = v?.trim();
      if (s === undefined || s === '') return undefined;
      if (!/^projects\/[a-z][-a-z0-9]{4,28}[a-z0-9]\/topics\/[A-Za-z][-A-Za-z0-9._~+%]{2,254}$/.test(s)) {
        ctx.addIssue({ code: 'custom', message: `NODELB_FANOUT_TOPIC: "${s}" is not projects/PROJECT/topics/TOPIC` });
        return z.NEVER;
      }
      return s;
    }),
  NODELB_PUBSUB_ENDPOINT: url('NODELB_PUBSUB_ENDPOINT', 'https://pubsub.googleapis.com/v1'),
  GOOGLE_OAUTH_ACCESS_TOKEN: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim())),
});

/** Parses the environment (or CLI flags mapped to the same names). Throws ConfigError.
 *  `fanout`: the function's scheduled round may fan out (the CLI never does), so the topic it
 *  needs is required then. */
export function parseConfig(env: Readonly<Record<string, string | undefined>>, opts: { fanout?: boolean } = {}): Config {
  const r = schema.safeParse({ ...env, NODELB_PUBSUB_ENDPOINT: pubsubEndpointOf(env) });
  if (!r.success) throw new ConfigError(r.error.issues.map((i) => i.message));
  const e = r.data;
  // Checked here, not at the first schedule: a deployment that cannot fan out should not start.
  if (opts.fanout && e.NODELB_CLUSTERS.length > e.NODELB_FANOUT_THRESHOLD && e.NODELB_FANOUT_TOPIC === undefined) {
    throw new ConfigError([
      `NODELB_FANOUT_TOPIC: required when NODELB_CLUSTERS names more clusters (${e.NODELB_CLUSTERS.length}) than NODELB_FANOUT_THRESHOLD (${e.NODELB_FANOUT_THRESHOLD}); set it to the function's trigger topic, projects/PROJECT/topics/TOPIC`,
    ]);
  }
  return {
    clusters: e.NODELB_CLUSTERS,
    loadBalancerClass: e.NODELB_LOAD_BALANCER_CLASS,
    namespace: e.NODELB_NAMESPACE,
    proxyImage: e.NODELB_PROXY_IMAGE,
    dryRun: e.NODELB_DRY_RUN,
    forwarding: e.NODELB_FORWARDING,
    manageFirewall: e.NODELB_MANAGE_FIREWALL,
    nodeSelector: e.NODELB_NODE_SELECTOR,
    deniedPorts: e.NODELB_DENIED_PORTS,
    allowedNamespaces: e.NODELB_ALLOWED_NAMESPACES,
    allowSCTP: e.NODELB_ALLOW_SCTP,
    maxPortsPerService: e.NODELB_MAX_PORTS,
    maxIPs: e.NODELB_MAX_IPS,
    ipMode: e.NODELB_IP_MODE,
    preferStandardNodes: e.NODELB_PREFER_STANDARD_NODES,
    staticIPLabel: e.NODELB_STATIC_IP_LABEL,
    allowInternalIPs: e.NODELB_ALLOW_INTERNAL_IPS,
    firewallPriority: e.NODELB_FIREWALL_PRIORITY,
    defaultSourceRanges: { IPv4: '0.0.0.0/0', IPv6: '::/0' },
    computeEndpoint: e.NODELB_COMPUTE_ENDPOINT,
    containerEndpoint: e.NODELB_CONTAINER_ENDPOINT,
    accessToken: e.GOOGLE_OAUTH_ACCESS_TOKEN,
    endpoint: e.NODELB_ENDPOINT,
    concurrency: e.NODELB_CONCURRENCY,
    clusterConcurrency: e.NODELB_CLUSTER_CONCURRENCY,
    timeBudgetMs: e.NODELB_TIME_BUDGET_SECONDS * 1000,
    settleMs: e.NODELB_SETTLE_SECONDS * 1000,
    logLevel: e.NODELB_LOG_LEVEL,
    fanoutThreshold: e.NODELB_FANOUT_THRESHOLD,
    fanoutTopic: e.NODELB_FANOUT_TOPIC,
    pubsubEndpoint: e.NODELB_PUBSUB_ENDPOINT,
  };
}
