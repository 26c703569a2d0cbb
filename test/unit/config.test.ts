// Table tests of the configuration: the defaults, one good value of every variable and what it
// parses to, and bad values, each refused with a problem that names the variable and says what
// is accepted. The tables must cover every row of config.ts's VARIABLES.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, VARIABLES, parseConfig, type Config } from '../../functions/config.ts';
import { formatClusterName, parseClusterName } from '../../functions/cluster_name.ts';
import { DEFAULT_DENIED_PORTS } from '../../functions/core/plan_config.ts';

const C1 = 'projects/my-proj/locations/europe-west1/clusters/one';
const C2 = 'projects/my-proj/locations/us-central1-a/clusters/two';

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems;
  }
  assert.fail(`accepted ${JSON.stringify(env)}`);
}

test('defaults: nothing set', () => {
  const want: Config = {
    clusters: [],
    loadBalancerClass: 'nodelb.dev/node-ip',
    namespace: 'nodelb-system',
    proxyImage: 'rancher/klipper-lb:v0.4.17',
    dryRun: false,
    forwarding: 'init-container',
    manageFirewall: true,
    nodeSelector: {},
    deniedPorts: [
      { from: 22, to: 22 },
      { from: 2379, to: 2380 },
      { from: 6443, to: 6443 },
      { from: 10248, to: 10250 },
      { from: 10255, to: 10256 },
      { from: 30000, to: 32767 },
    ],
    allowedNamespaces: [],
    allowSCTP: false,
    maxPortsPerService: 100,
    maxIPs: 0,
    ipMode: 'VIP',
    preferStandardNodes: true,
    staticIPLabel: 'kubip_assigned',
    allowInternalIPs: false,
    firewallPriority: 1000,
    defaultSourceRanges: { IPv4: '0.0.0.0/0', IPv6: '::/0' },
    computeEndpoint: 'https://compute.googleapis.com/compute/v1',
    containerEndpoint: 'https://container.googleapis.com/v1',
    accessToken: undefined,
    endpoint: 'auto',
    concurrency: 8,
    clusterConcurrency: 4,
    timeBudgetMs: 240_000,
    settleMs: 15_000,
    logLevel: 'INFO',
    fanoutThreshold: 8,
    fanoutTopic: undefined,
    pubsubEndpoint: 'https://pubsub.googleapis.com/v1',
  };
  assert.deepStrictEqual(parseConfig({}), want);
  // Empty is unset for every variable, except where empty means "none" (documented below).
  const empty = Object.fromEntries(VARIABLES.map((x) => [x.env, '']));
  assert.deepStrictEqual(parseConfig(empty), { ...want, deniedPorts: [], staticIPLabel: '' });
  assert.equal(DEFAULT_DENIED_PORTS, '22,2379-2380,6443,10248-10250,10255-10256,30000-32767');
});

/** Variable → a good value, the Config field it fills, and what it parses to. */
const GOOD: Record<string, [value: string, field: keyof Config, parsed: unknown][]> = {
  NODELB_CLUSTERS: [
    [`${C1}, ${C2} ${C1}`, 'clusters', [C1, C2]],
    [C2, 'clusters', [C2]],
  ],
  NODELB_LOAD_BALANCER_CLASS: [[' example.com/lb ', 'loadBalancerClass', 'example.com/lb']],
  NODELB_NAMESPACE: [['lb-1', 'namespace', 'lb-1']],
  NODELB_PROXY_IMAGE: [['registry.example/klipper-lb@sha256:abc', 'proxyImage', 'registry.example/klipper-lb@sha256:abc']],
  NODELB_DRY_RUN: [
    ['true', 'dryRun', true],
    ['YES', 'dryRun', true],
    ['on', 'dryRun', true],
    ['1', 'dryRun', true],
    ['0', 'dryRun', false],
  ],
  NODELB_FORWARDING: [['SYSCTLS', 'forwarding', 'sysctls']],
  NODELB_MANAGE_FIREWALL: [['false', 'manageFirewall', false], ['off', 'manageFirewall', false]],
  NODELB_NODE_SELECTOR: [['pool=edge, zone!=b,gpu', 'nodeSelector', { pool: 'edge', zone: '!b', gpu: '' }]],
  NODELB_DENIED_PORTS: [['22 25,8000-8080', 'deniedPorts', [{ from: 22, to: 22 }, { from: 25, to: 25 }, { from: 8000, to: 8080 }]]],
  NODELB_ALLOWED_NAMESPACES: [['a, b c', 'allowedNamespaces', ['a', 'b', 'c']]],
  NODELB_ALLOW_SCTP: [['true', 'allowSCTP', true]],
  NODELB_MAX_PORTS: [['1', 'maxPortsPerService', 1], ['100', 'maxPortsPerService', 100]],
  NODELB_MAX_IPS: [['3', 'maxIPs', 3], ['1000', 'maxIPs', 1000]],
  NODELB_IP_MODE: [['proxy', 'ipMode', 'Proxy']],
  NODELB_PREFER_STANDARD_NODES: [['no', 'preferStandardNodes', false]],
  NODELB_STATIC_IP_LABEL: [['static', 'staticIPLabel', 'static'], ['', 'staticIPLabel', '']],
  NODELB_ALLOW_INTERNAL_IPS: [['true', 'allowInternalIPs', true]],
  NODELB_FIREWALL_PRIORITY: [['0', 'firewallPriority', 0], ['65535', 'firewallPriority', 65535]],
  NODELB_COMPUTE_ENDPOINT: [['http://127.0.0.1:1/compute/v1//', 'computeEndpoint', 'http://127.0.0.1:1/compute/v1']],
  NODELB_CONTAINER_ENDPOINT: [['https://psc.example/v1', 'containerEndpoint', 'https://psc.example/v1']],
  NODELB_ENDPOINT: [['dns', 'endpoint', 'dns'], ['Private', 'endpoint', 'private']],
  NODELB_CONCURRENCY: [['64', 'concurrency', 64]],
  NODELB_CLUSTER_CONCURRENCY: [['1', 'clusterConcurrency', 1]],
  NODELB_TIME_BUDGET_SECONDS: [['60', 'timeBudgetMs', 60_000]],
  NODELB_SETTLE_SECONDS: [['0', 'settleMs', 0]],
  NODELB_LOG_LEVEL: [['debug', 'logLevel', 'DEBUG']],
  NODELB_FANOUT_THRESHOLD: [['100000', 'fanoutThreshold', 100_000]],
  NODELB_FANOUT_TOPIC: [['projects/demo-project/topics/nodelb', 'fanoutTopic', 'projects/demo-project/topics/nodelb']],
  NODELB_PUBSUB_ENDPOINT: [['http://127.0.0.1:8085/v1', 'pubsubEndpoint', 'http://127.0.0.1:8085/v1']],
  GOOGLE_OAUTH_ACCESS_TOKEN: [[' ya29.token ', 'accessToken', 'ya29.token'], ['  ', 'accessToken', undefined]],
};

test('every variable: a good value and what it parses to', () => {
  assert.deepEqual(Object.keys(GOOD).sort(), VARIABLES.map((x) => x.env).sort(), 'GOOD covers every variable');
  for (const x of VARIABLES) {
    for (const [value, field, parsed] of GOOD[x.env] ?? []) {
      assert.equal(field, x.field, `${x.env} fills ${x.field}`);
      assert.deepStrictEqual(parseConfig({ [x.env]: value })[field], parsed, `${x.env}=${JSON.stringify(value)}`);
    }
  }
});

/** Variable → a bad value and the whole problem it gives. Every message starts with the variable
 *  and says what would be accepted. */
const BAD: Record<string, [value: string, problem: string][]> = {
  NODELB_CLUSTERS: [
    ['prod', 'NODELB_CLUSTERS: "prod" is not projects/PROJECT/locations/LOCATION/clusters/NAME'],
    ['projects/p/locations/l/clusters/c', 'NODELB_CLUSTERS: "projects/p/locations/l/clusters/c" is not projects/PROJECT/locations/LOCATION/clusters/NAME'],
    [`${C1}/`, `NODELB_CLUSTERS: "${C1}/" is not projects/PROJECT/locations/LOCATION/clusters/NAME`],
  ],
  NODELB_LOAD_BALANCER_CLASS: [['node-ip', 'NODELB_LOAD_BALANCER_CLASS: expected a prefixed name like nodelb.dev/node-ip, got "node-ip"']],
  NODELB_NAMESPACE: [['Kube_System', 'NODELB_NAMESPACE: expected a namespace name (lowercase letters, digits and "-", at most 63), got "Kube_System"']],
  NODELB_PROXY_IMAGE: [['-x', 'NODELB_PROXY_IMAGE: expected an image reference like registry.example/klipper-lb:v0.4.17, got "-x"']],
  NODELB_DRY_RUN: [['maybe', 'NODELB_DRY_RUN: expected true or false (or 1/0, yes/no, on/off), got "maybe"']],
  NODELB_FORWARDING: [['iptables', 'NODELB_FORWARDING: expected one of init-container, sysctls, got "iptables"']],
  NODELB_MANAGE_FIREWALL: [['2', 'NODELB_MANAGE_FIREWALL: expected true or false (or 1/0, yes/no, on/off), got "2"']],
  NODELB_NODE_SELECTOR: [
    ['zone in (a,b)', 'NODELB_NODE_SELECTOR: "zone in (a" is not key=value, key!=value or key'],
    ['pool=a b', 'NODELB_NODE_SELECTOR: "a b" is not a valid label value; expected key=value, key!=value or key, comma separated'],
  ],
  NODELB_DENIED_PORTS: [['0,22-21,x', 'NODELB_DENIED_PORTS: "0" is not a port or port range (1-65535)']],
  NODELB_ALLOW_SCTP: [['sctp', 'NODELB_ALLOW_SCTP: expected true or false (or 1/0, yes/no, on/off), got "sctp"']],
  NODELB_MAX_PORTS: [['0', 'NODELB_MAX_PORTS: expected a whole number from 1 to 100, got "0"'], ['101', 'NODELB_MAX_PORTS: expected a whole number from 1 to 100, got "101"']],
  NODELB_MAX_IPS: [['-1', 'NODELB_MAX_IPS: expected a whole number from 0 to 1000, got "-1"'], ['2.5', 'NODELB_MAX_IPS: expected a whole number from 0 to 1000, got "2.5"']],
  NODELB_IP_MODE: [['fast', 'NODELB_IP_MODE: expected one of VIP, Proxy, got "fast"']],
  NODELB_PREFER_STANDARD_NODES: [['spot', 'NODELB_PREFER_STANDARD_NODES: expected true or false (or 1/0, yes/no, on/off), got "spot"']],
  NODELB_ALLOW_INTERNAL_IPS: [['internal', 'NODELB_ALLOW_INTERNAL_IPS: expected true or false (or 1/0, yes/no, on/off), got "internal"']],
  NODELB_FIREWALL_PRIORITY: [['65536', 'NODELB_FIREWALL_PRIORITY: expected a whole number from 0 to 65535, got "65536"']],
  NODELB_COMPUTE_ENDPOINT: [['compute.googleapis.com', 'NODELB_COMPUTE_ENDPOINT: expected a full http(s) URL such as https://compute.googleapis.com/compute/v1, got "compute.googleapis.com"']],
  NODELB_CONTAINER_ENDPOINT: [['ftp://x/v1', 'NODELB_CONTAINER_ENDPOINT: expected a full http(s) URL such as https://container.googleapis.com/v1, got "ftp://x/v1"']],
  NODELB_ENDPOINT: [['internal', 'NODELB_ENDPOINT: expected one of auto, dns, public, private, got "internal"']],
  NODELB_CONCURRENCY: [['many', 'NODELB_CONCURRENCY: expected a whole number from 1 to 64, got "many"']],
  NODELB_CLUSTER_CONCURRENCY: [['65', 'NODELB_CLUSTER_CONCURRENCY: expected a whole number from 1 to 64, got "65"']],
  NODELB_TIME_BUDGET_SECONDS: [['4', 'NODELB_TIME_BUDGET_SECONDS: expected a whole number from 5 to 3500, got "4"']],
  NODELB_SETTLE_SECONDS: [['301', 'NODELB_SETTLE_SECONDS: expected a whole number from 0 to 300, got "301"']],
  NODELB_LOG_LEVEL: [['TRACE', 'NODELB_LOG_LEVEL: expected one of DEBUG, INFO, WARNING, ERROR, got "TRACE"']],
  NODELB_FANOUT_THRESHOLD: [['0', 'NODELB_FANOUT_THRESHOLD: expected a whole number from 1 to 100000, got "0"']],
  NODELB_FANOUT_TOPIC: [['nodelb', 'NODELB_FANOUT_TOPIC: expected projects/PROJECT/topics/TOPIC, got "nodelb"']],
  NODELB_PUBSUB_ENDPOINT: [['pubsub', 'NODELB_PUBSUB_ENDPOINT: expected a full http(s) URL such as https://pubsub.googleapis.com/v1, got "pubsub"']],
};

/** Variables whose every value is valid, and why. */
const ANY_VALUE: Record<string, string> = {
  NODELB_ALLOWED_NAMESPACES: 'names of namespaces that may not exist yet',
  NODELB_STATIC_IP_LABEL: 'any label key; empty turns the preference off',
  GOOGLE_OAUTH_ACCESS_TOKEN: 'opaque; the API rejects a bad one',
};

test('bad values: each problem names the variable and says what is accepted', () => {
  assert.deepEqual([...Object.keys(BAD), ...Object.keys(ANY_VALUE)].sort(), VARIABLES.map((x) => x.env).sort(), 'BAD and ANY_VALUE cover every variable');
  for (const [env, cases] of Object.entries(BAD)) {
    for (const [value, problem] of cases) {
      const problems = problemsOf({ [env]: value });
      assert.equal(problems[0], problem, `${env}=${JSON.stringify(value)}`);
      for (const p of problems) assert.match(p, new RegExp(`^${env}: `), 'every problem starts with the variable');
    }
  }
});

test('every problem is listed at once, one per bad item', () => {
  assert.deepEqual(problemsOf({ NODELB_MAX_IPS: 'x', NODELB_DENIED_PORTS: '0,22-21,x', NODELB_CLUSTERS: `a ${C1} b` }), [
    'NODELB_CLUSTERS: "a" is not projects/PROJECT/locations/LOCATION/clusters/NAME',
    'NODELB_CLUSTERS: "b" is not projects/PROJECT/locations/LOCATION/clusters/NAME',
    'NODELB_DENIED_PORTS: "0" is not a port or port range (1-65535)',
    'NODELB_DENIED_PORTS: "22-21" is not a port or port range (1-65535)',
    'NODELB_DENIED_PORTS: "x" is not a port or port range (1-65535)',
    'NODELB_MAX_IPS: expected a whole number from 0 to 1000, got "x"',
  ]);
});

test('the Pub/Sub endpoint: the variable, else the emulator convention, else Google', () => {
  assert.equal(parseConfig({ PUBSUB_EMULATOR_HOST: '127.0.0.1:8085' }).pubsubEndpoint, 'http://127.0.0.1:8085/v1');
  assert.equal(parseConfig({ PUBSUB_EMULATOR_HOST: '127.0.0.1:8085', NODELB_PUBSUB_ENDPOINT: 'https://psc.example/v1' }).pubsubEndpoint, 'https://psc.example/v1');
});

test('fan-out needs its topic only in the function, and only above the threshold', () => {
  const env = { NODELB_CLUSTERS: `${C1} ${C2}`, NODELB_FANOUT_THRESHOLD: '1' };
  assert.throws(() => parseConfig(env, { fanout: true }), (e: unknown) => e instanceof ConfigError && /^NODELB_FANOUT_TOPIC: required when NODELB_CLUSTERS names more clusters \(2\) than NODELB_FANOUT_THRESHOLD \(1\)/.test(e.problems[0] ?? ''));
  assert.equal(parseConfig(env).clusters.length, 2);
  assert.equal(parseConfig({ ...env, NODELB_FANOUT_THRESHOLD: '2' }, { fanout: true }).fanoutTopic, undefined);
});

test('cluster names: one parser for config, events and connecting', () => {
  assert.deepEqual(parseClusterName(C2), { full: C2, project: 'my-proj', location: 'us-central1-a', name: 'two' });
  assert.equal(formatClusterName('my-proj', 'us-central1-a', 'two'), C2);
  for (const wrong of ['', 'projects/my-proj/locations/l/clusters/', 'projects/My-Proj/locations/l/clusters/c', 'projects/my-proj/zones/l/clusters/c', `${C1}/nodePools/p`, 'projects/my-proj/locations/l/clusters/1c']) {
    assert.equal(parseClusterName(wrong), undefined, wrong);
  }
});
