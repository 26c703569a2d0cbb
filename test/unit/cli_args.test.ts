// Unit tests for the CLI's argument parsing: defaults, flag ↔ environment mapping, targets,
// and the single error that lists every problem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, type Invocation, type ParseResult } from '../../functions/cli/args.ts';
import { CONFIG_FLAGS, ENV_ONLY } from '../../functions/cli/flags.ts';
import { ENV_DOCS, parseConfig } from '../../functions/config.ts';

const C1 = 'projects/my-proj/locations/europe-west1/clusters/one';
const C2 = 'projects/my-proj/locations/us-central1-a/clusters/two';

function run(argv: string[], env: Record<string, string> = {}): Invocation {
  const r = parseArgs(argv, env);
  assert.equal(r.kind, 'run', r.kind === 'exit' ? r.stderr : '');
  return (r as Extract<ParseResult, { kind: 'run' }>).invocation;
}

function usageError(argv: string[], env: Record<string, string> = {}): string {
  const r = parseArgs(argv, env);
  assert.equal(r.kind, 'exit');
  const exit = r as Extract<ParseResult, { kind: 'exit' }>;
  assert.equal(exit.code, 2);
  assert.equal(exit.stdout, '');
  return exit.stderr;
}

test('defaults: sync against the default kubeconfig, text output, WARNING logs, config defaults', () => {
  const inv = run(['sync']);
  assert.equal(inv.command, 'sync');
  assert.deepEqual(inv.targets, [{ kind: 'kubeconfig' }]);
  assert.equal(inv.output, 'text');
  assert.deepEqual(inv.config, { ...parseConfig({}), logLevel: 'WARNING' });
});

test('--verbose logs INFO; --log-level and NODELB_LOG_LEVEL win over both defaults', () => {
  assert.equal(run(['sync', '--verbose']).config.logLevel, 'INFO');
  assert.equal(run(['sync', '-v']).config.logLevel, 'INFO');
  assert.equal(run(['sync', '--log-level', 'DEBUG']).config.logLevel, 'DEBUG');
  assert.equal(run(['sync'], { NODELB_LOG_LEVEL: 'ERROR' }).config.logLevel, 'ERROR');
});

test('every ENV_DOCS variable has a flag, except the documented env-only ones', () => {
  const covered = new Set([...CONFIG_FLAGS.map((f) => f.env), ...Object.keys(ENV_ONLY)]);
  assert.deepEqual([...covered].sort(), Object.keys(ENV_DOCS).sort());
  assert.deepEqual(Object.keys(ENV_ONLY), ['GOOGLE_OAUTH_ACCESS_TOKEN', 'NODELB_FANOUT_THRESHOLD', 'NODELB_FANOUT_TOPIC', 'NODELB_PUBSUB_ENDPOINT']);
});

test('flag names are the variable names in kebab case (NODELB_CLUSTERS is --cluster)', () => {
  const byEnv = Object.fromEntries(CONFIG_FLAGS.map((f) => [f.env, f.long]));
  assert.equal(byEnv.NODELB_LOAD_BALANCER_CLASS, 'load-balancer-class');
  assert.equal(byEnv.NODELB_MAX_IPS, 'max-ips');
  assert.equal(byEnv.NODELB_CLUSTERS, 'cluster');
  for (const f of CONFIG_FLAGS) {
    if (f.env === 'NODELB_CLUSTERS') continue;
    assert.equal(f.long, f.env.replace(/^NODELB_/, '').toLowerCase().replaceAll('_', '-'));
  }
});

// One value per flag that differs from the default, and how it shows in the Config.
const SAMPLES: Record<string, { value: string; check: (inv: Invocation) => unknown; expected: unknown }> = {
  NODELB_LOAD_BALANCER_CLASS: { value: 'example.com/lb', check: (i) => i.config.loadBalancerClass, expected: 'example.com/lb' },
  NODELB_NAMESPACE: { value: 'lb', check: (i) => i.config.namespace, expected: 'lb' },
  NODELB_PROXY_IMAGE: { value: 'registry.example/klipper:1', check: (i) => i.config.proxyImage, expected: 'registry.example/klipper:1' },
  NODELB_FORWARDING: { value: 'sysctls', check: (i) => i.config.forwarding, expected: 'sysctls' },
  NODELB_NODE_SELECTOR: { value: 'pool=edge', check: (i) => i.config.nodeSelector, expected: { pool: 'edge' } },
  NODELB_DENIED_PORTS: { value: '22,25', check: (i) => i.config.deniedPorts, expected: [{ from: 22, to: 22 }, { from: 25, to: 25 }] },
  NODELB_ALLOWED_NAMESPACES: { value: 'a,b', check: (i) => i.config.allowedNamespaces, expected: ['a', 'b'] },
  NODELB_MAX_PORTS: { value: '7', check: (i) => i.config.maxPortsPerService, expected: 7 },
  NODELB_MAX_IPS: { value: '3', check: (i) => i.config.maxIPs, expected: 3 },
  NODELB_IP_MODE: { value: 'Proxy', check: (i) => i.config.ipMode, expected: 'Proxy' },
  NODELB_STATIC_IP_LABEL: { value: 'static', check: (i) => i.config.staticIPLabel, expected: 'static' },
  NODELB_FIREWALL_PRIORITY: { value: '900', check: (i) => i.config.firewallPriority, expected: 900 },
  NODELB_COMPUTE_ENDPOINT: { value: 'http://127.0.0.1:1/compute/v1', check: (i) => i.config.computeEndpoint, expected: 'http://127.0.0.1:1/compute/v1' },
  NODELB_CONTAINER_ENDPOINT: { value: 'http://127.0.0.1:2/v1', check: (i) => i.config.containerEndpoint, expected: 'http://127.0.0.1:2/v1' },
  NODELB_ENDPOINT: { value: 'dns', check: (i) => i.config.endpoint, expected: 'dns' },
  NODELB_CONCURRENCY: { value: '2', check: (i) => i.config.concurrency, expected: 2 },
  NODELB_CLUSTER_CONCURRENCY: { value: '3', check: (i) => i.config.clusterConcurrency, expected: 3 },
  NODELB_TIME_BUDGET_SECONDS: { value: '60', check: (i) => i.config.timeBudgetMs, expected: 60_000 },
  NODELB_SETTLE_SECONDS: { value: '0', check: (i) => i.config.settleMs, expected: 0 },
  NODELB_LOG_LEVEL: { value: 'DEBUG', check: (i) => i.config.logLevel, expected: 'DEBUG' },
  NODELB_CLUSTERS: { value: C1, check: (i) => i.config.clusters, expected: [C1] },
};
const BOOLEAN_CHECKS: Record<string, (inv: Invocation) => boolean> = {
  NODELB_DRY_RUN: (i) => i.config.dryRun,
  NODELB_MANAGE_FIREWALL: (i) => i.config.manageFirewall,
  NODELB_ALLOW_SCTP: (i) => i.config.allowSCTP,
  NODELB_PREFER_STANDARD_NODES: (i) => i.config.preferStandardNodes,
  NODELB_ALLOW_INTERNAL_IPS: (i) => i.config.allowInternalIPs,
};

test('every flag sets the same Config field as its environment variable', () => {
  for (const flag of CONFIG_FLAGS) {
    if (flag.boolean) {
      const check = BOOLEAN_CHECKS[flag.env];
      assert.ok(check, `no check for boolean ${flag.env}`);
      const opposite = !flag.defaultOn;
      const viaFlag = run(['sync', opposite ? `--${flag.long}` : `--no-${flag.long}`]);
      const viaEnv = run(['sync'], { [flag.env]: String(opposite) });
      assert.equal(check(viaFlag), opposite, flag.long);
      assert.equal(check(viaEnv), opposite, flag.env);
      continue;
    }
    const sample = SAMPLES[flag.env];
    assert.ok(sample, `no sample for ${flag.env}`);
    const viaFlag = run(['sync', `--${flag.long}`, sample.value]);
    const viaEnv = run(['sync'], { [flag.env]: sample.value });
    assert.deepEqual(sample.check(viaFlag), sample.expected, flag.long);
    assert.deepEqual(sample.check(viaEnv), sample.expected, flag.env);
  }
});

test('flags override the environment, in both directions for booleans', () => {
  assert.equal(run(['sync', '--max-ips', '2'], { NODELB_MAX_IPS: '5' }).config.maxIPs, 2);
  assert.equal(run(['sync', '--manage-firewall'], { NODELB_MANAGE_FIREWALL: 'false' }).config.manageFirewall, true);
  assert.equal(run(['sync', '--no-dry-run'], { NODELB_DRY_RUN: 'true' }).config.dryRun, false);
  assert.equal(run(['sync'], { NODELB_DRY_RUN: 'true' }).config.dryRun, true);
});

test('--cluster is repeatable and selects GKE discovery', () => {
  const inv = run(['sync', '--cluster', C1, '--cluster', C2]);
  assert.deepEqual(inv.targets, [{ kind: 'gke', name: C1 }, { kind: 'gke', name: C2 }]);
  assert.deepEqual(inv.config.clusters, [C1, C2]);
});

test('without target flags: NODELB_CLUSTERS, else the default kubeconfig', () => {
  assert.deepEqual(run(['sync'], { NODELB_CLUSTERS: `${C1} ${C2}` }).targets, [{ kind: 'gke', name: C1 }, { kind: 'gke', name: C2 }]);
  assert.deepEqual(run(['sync'], { NODELB_CLUSTERS: '' }).targets, [{ kind: 'kubeconfig' }]);
});

test('--kubeconfig and --context select kubeconfig mode and win over NODELB_CLUSTERS', () => {
  const inv = run(['sync', '--kubeconfig', '/tmp/kc', '--context', 'dev'], { NODELB_CLUSTERS: C1 });
  assert.deepEqual(inv.targets, [{ kind: 'kubeconfig', path: '/tmp/kc', context: 'dev' }]);
  assert.deepEqual(inv.config.clusters, []);
  assert.deepEqual(run(['status', '--context', 'dev']).targets, [{ kind: 'kubeconfig', context: 'dev' }]);
});

test('--cluster with --kubeconfig or --context is refused', () => {
  assert.match(usageError(['sync', '--cluster', C1, '--kubeconfig', '/tmp/kc']), /--cluster and --kubeconfig cannot be used together/);
  assert.match(usageError(['sync', '--cluster', C1, '--context', 'dev']), /--context needs a kubeconfig/);
});

test('--output accepts text and json, and -o is its short form', () => {
  assert.equal(run(['sync', '--output', 'json']).output, 'json');
  assert.equal(run(['status', '-o', 'text']).output, 'text');
});

test('status is always a dry run and takes --service namespace/name', () => {
  const inv = run(['status', '--service', 'default/web'], { NODELB_DRY_RUN: 'false' });
  assert.equal(inv.command, 'status');
  assert.equal(inv.config.dryRun, true);
  assert.deepEqual(inv.service, { namespace: 'default', name: 'web' });
  assert.match(usageError(['status', '--service', 'web']), /--service: expected namespace\/name, got "web"/);
});

test('every problem is listed in one error, with flag names where the value came from a flag', () => {
  const err = usageError([
    'sync', '--kubeconfig', '/tmp/kc', '--cluster', 'nope', '--max-ipz', '4',
    '--ip-mode', 'fast', '--max-ports', '0', 'stray', '-o', 'yaml',
  ], { NODELB_CONCURRENCY: 'many' });
  const problems = err.split('\n').filter((l) => l.startsWith('  - '));
  assert.deepEqual(problems, [
    '  - unknown option --max-ipz (did you mean --max-ips?)',
    '  - unexpected argument "stray"',
    '  - --output: expected text or json, got "yaml"',
    '  - --cluster and --kubeconfig cannot be used together: pick one way to reach the clusters',
    '  - --cluster: "nope" is not projects/PROJECT/locations/LOCATION/clusters/NAME',
    '  - --max-ports: expected a whole number from 1 to 100, got "0"',
    '  - --ip-mode: expected one of VIP, Proxy, got "fast"',
    '  - NODELB_CONCURRENCY: expected a whole number from 1 to 64, got "many"',
  ]);
  assert.match(err, /^nodelb sync: invalid arguments:/);
  assert.match(err, /Run `nodelb sync --help`/);
});

test('help goes to stdout with exit 0; no command or a missing value is a usage error', () => {
  const help = parseArgs(['sync', '--help'], {});
  assert.equal(help.kind, 'exit');
  if (help.kind !== 'exit') return;
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--load-balancer-class <class>/);
  assert.match(help.stdout, /--no-manage-firewall/);
  assert.doesNotMatch(help.stdout, /--manage-firewall /, 'only the spelling that changes the default is shown');
  assert.match(usageError([]), /Usage: nodelb/);
  assert.match(usageError(['sync', '--max-ips']), /argument missing/);
  assert.match(usageError(['deploy']), /unknown command 'deploy'/);
});
