// Randomized fault injection: a seeded PRNG interleaves Service, Node and IP changes (hostile
// inputs included) with random API faults and crashes, one sync per step (now and then two at
// once). After every step the
// invariants that must hold even mid-failure are checked (I3 nothing foreign touched, I4 no
// denied port open, no duplicate rule or DaemonSet, no exception out of the sync); every
// CHECK_EVERY steps and at the end the faults are cleared, the world converges within a bound,
// and I1–I5 are checked. A failure names the seed and the step; NODELB_FUZZ_SEED replays it,
// NODELB_FUZZ_STEPS raises the count (NODELB_FUZZ_SEED=random explores a new seed).
//
// Not in this suite (they need a real cluster): matrix rows 33 Pod Security admission, 34 the
// data path through hostPort/iptables, 35 kube-proxy's handling of status IPs, 36 consumers
// (ExternalDNS, Traefik). No test is written or skipped for them.
import { test } from 'node:test';
import { startFaultWorld, serviceSpec, PROXY_NAMESPACE, type FaultWorld, type ServiceInput, type SyncRun } from './harness.ts';
import { checkDeniedPorts, checkForeignUntouched, checkInvariants, checkOwnership, describeViolations, type Violation } from './invariants.ts';
import { mulberry32, seedFromEnv, type Rng } from './prng.ts';
import { tally, writeTally } from './tally.ts';
import type { FaultRule } from '../sim/faults.ts';
import { KubeApiError } from '../cluster/kube_http.ts';
import { firewallName } from '../../functions/core/naming.ts';

const SEED = seedFromEnv();
// Each step costs real time (controllers, kubelets): fewer steps than the simulator's 300.
const STEPS = Number(process.env.NODELB_FUZZ_STEPS ?? 30);
const CHECK_EVERY = 10;
const CONVERGE_WITHIN = 4;

const NORMAL_PORTS = [80, 443, 8080, 8443, 9000, 9001, 5353, 7000];
const DENIED_PORTS = [22, 10250, 10255, 2379, 6443, 30080];
const MALFORMED: Record<string, string>[] = [
  { 'nodelb.dev/max-ips': 'many' },
  { 'nodelb.dev/node-selector': '!!==' },
  { 'nodelb.dev/tolerations': '[{"key":' },
  { 'nodelb.dev/ip-mode': 'Sideways' },
  { 'nodelb.dev/pool': 'bad pool' },
  { 'service.beta.kubernetes.io/load-balancer-source-ranges': '10.0.0.0/8,999.0.0.0/8' },
  { 'nodelb.dev/max-ipz': '1' },
];
const VALID_ANNOTATIONS: Record<string, string>[] = [{ 'nodelb.dev/max-ips': '2' }, { 'nodelb.dev/ip-mode': 'Proxy' }, { 'service.beta.kubernetes.io/load-balancer-source-ranges': '198.51.100.0/24' }];

interface Model {
  services: { namespace: string; name: string }[];
  nodes: { name: string; zone: string; stopped: boolean; cordoned: boolean; notReady: boolean }[];
  serial: number;
}

/** One random change to the world; returns what it did, for the failure report. */
async function changeWorld(w: FaultWorld, rng: Rng, m: Model): Promise<string> {
  const pickService = () => (m.services.length > 0 ? rng.pick(m.services) : undefined);
  const pickNode = () => (m.nodes.length > 0 ? rng.pick(m.nodes) : undefined);
  const roll = rng.next();
  try {
    if (roll < 0.2 && m.services.length < 8) {
      const input = randomService(rng, m);
      // The model learns of it first: a Service the server refused is simply not there later.
      m.services.push({ namespace: input.namespace ?? 'default', name: input.name });
      await w.addService(input);
      return `add Service ${input.namespace}/${input.name} ${JSON.stringify(serviceSpec(input))}${input.annotations ? ` ${JSON.stringify(input.annotations)}` : ''}`;
    }
    if (roll < 0.28) {
      const s = pickService();
      if (!s) return 'no Service to delete';
      m.services = m.services.filter((x) => x !== s);
      await w.deleteService(s.namespace, s.name);
      return `delete Service ${s.namespace}/${s.name}`;
    }
    if (roll < 0.45) {
      const s = pickService();
      if (!s) return 'no Service to change';
      return `change Service ${s.namespace}/${s.name}: ${await modifyService(w, rng, s)}`;
    }
    if (roll < 0.5 && m.nodes.length < 6) {
      const zone = `${w.gke.location}-${rng.pick(['a', 'b', 'c'])}`;
      const name = `node-x${m.serial++}`;
      const v6 = rng.chance(0.4) ? `2001:db8:1::${m.serial}` : undefined;
      m.nodes.push({ name, zone, stopped: false, cordoned: false, notReady: false });
      await w.addNode({ name, zone, externalIP: `198.18.${m.serial >> 8}.${m.serial & 255}`, externalIPv6: v6 });
      return `add node ${name}${v6 ? ' (dual-stack)' : ''}`;
    }
    if (roll < 0.54 && m.nodes.length > 1) {
      const n = pickNode()!;
      m.nodes = m.nodes.filter((x) => x !== n);
      await w.removeNode(n.name);
      return `remove node ${n.name}`;
    }
    if (roll < 0.78) {
      const n = pickNode();
      if (!n) return 'no node';
      return `node ${n.name}: ${await changeNode(w, rng, n, m)}`;
    }
    if (roll < 0.84) {
      const svc = pickService();
      const endpoints = m.nodes.filter(() => rng.chance(0.5)).map((n) => ({ nodeName: n.name, ready: rng.chance(0.85) }));
      if (!svc) return 'no Service for endpoints';
      await w.setEndpoints(svc.namespace, svc.name, endpoints);
      return `endpoints of ${svc.namespace}/${svc.name}: ${endpoints.map((e) => `${e.nodeName}${e.ready ? '' : '(unready)'}`).join(',') || 'none'}`;
    }
    if (roll < 0.9) return await foreignRule(w, rng, m);
    return await tamper(w, rng);
  } catch (e) {
    // The real API server refused it (validation, a field it will not change): not nodelb's concern.
    if (!(e instanceof KubeApiError)) throw e;
    return `refused by the API server: ${e.message.slice(0, 160)}`;
  }
}

function randomPorts(rng: Rng): ServiceInput['ports'] {
  const n = rng.int(1, 3);
  const out = new Map<string, { port: number; protocol: 'TCP' | 'UDP' | 'SCTP' }>();
  for (let i = 0; i < n; i++) {
    const port = rng.chance(0.12) ? rng.pick(DENIED_PORTS) : rng.pick(NORMAL_PORTS);
    const protocol = rng.chance(0.75) ? 'TCP' : rng.chance(0.85) ? 'UDP' : 'SCTP';
    if (DENIED_PORTS.includes(port)) tally.badInput('denied port');
    if (protocol === 'SCTP') tally.badInput('SCTP port');
    out.set(`${port}/${protocol}`, { port, protocol });
  }
  return [...out.values()];
}

function randomService(rng: Rng, m: Model): ServiceInput {
  const input: ServiceInput = { name: `s${m.serial++}`, namespace: rng.chance(0.8) ? 'default' : 'team-a', ports: randomPorts(rng) };
  const klass = rng.next();
  if (klass < 0.08) input.className = null;
  else if (klass < 0.14) input.className = 'example.com/other';
  if (rng.chance(0.06)) input.type = 'ClusterIP';
  if (rng.chance(0.2)) input.policy = 'Local';
  if (rng.chance(0.15)) input.sourceRanges = rng.pick([['0.0.0.0/1', '128.0.0.0/1'], ['203.0.113.0/24'], ['2001:db8::/32']]);
  if (rng.chance(0.15)) {
    input.annotations = rng.pick(MALFORMED);
    tally.badInput('malformed annotation');
  } else if (rng.chance(0.1)) input.annotations = rng.pick(VALID_ANNOTATIONS);
  if (rng.chance(0.12)) {
    input.ipFamilies = ['IPv4', 'IPv6'];
    input.ipFamilyPolicy = 'RequireDualStack';
  }
  if (rng.chance(0.05)) {
    input.loadBalancerIP = '198.51.100.250';
    tally.badInput('loadBalancerIP set');
  }
  if (rng.chance(0.05)) {
    input.externalIPs = ['192.0.2.250'];
    tally.badInput('externalIPs set');
  }
  return input;
}

async function modifyService(w: FaultWorld, rng: Rng, s: { namespace: string; name: string }): Promise<string> {
  const what = rng.pick(['ports', 'type', 'annotation', 'ranges', 'policy'] as const);
  let said: string = what;
  // Drawn before the edit: a conflict retry re-runs it, the random stream must not move.
  const ports = randomPorts(rng);
  const toType = rng.pick(['ClusterIP', 'NodePort']);
  const malformed = rng.chance(0.5);
  const annotations = malformed ? rng.pick(MALFORMED) : rng.chance(0.5) ? rng.pick(VALID_ANNOTATIONS) : {};
  if (what === 'annotation' && malformed) tally.badInput('malformed annotation');
  const ranges = rng.pick([[], ['10.0.0.0/8'], ['0.0.0.0/1', '128.0.0.0/1']]);
  await w.updateService(s.namespace, s.name, (svc) => {
    const spec = svc.spec as Record<string, unknown>;
    if (what === 'ports') {
      spec.ports = serviceSpec({ name: s.name, ports }).ports;
      said = `ports ${JSON.stringify(spec.ports)}`;
    } else if (what === 'type') {
      if (spec.type === 'LoadBalancer') {
        spec.type = toType;
        // What an owner clears with the type (the real API server refuses them on ClusterIP).
        for (const k of ['loadBalancerSourceRanges', 'loadBalancerIP', 'externalTrafficPolicy', 'loadBalancerClass', 'allocateLoadBalancerNodePorts', 'healthCheckNodePort']) delete spec[k];
        if (toType === 'ClusterIP') for (const p of spec.ports as { nodePort?: number }[]) delete p.nodePort;
      } else {
        Object.assign(spec, { type: 'LoadBalancer', loadBalancerClass: 'nodelb.dev/node-ip', externalTrafficPolicy: 'Cluster' });
      }
      said = `type → ${String(spec.type)}`;
    } else if (what === 'annotation') {
      svc.metadata.annotations = annotations;
      said = `annotations ${JSON.stringify(svc.metadata.annotations)}`;
    } else if (what === 'ranges') {
      if (spec.type !== 'LoadBalancer') return;
      spec.loadBalancerSourceRanges = ranges;
      said = `source ranges ${JSON.stringify(spec.loadBalancerSourceRanges)}`;
    } else {
      if (spec.type !== 'LoadBalancer') return;
      spec.externalTrafficPolicy = spec.externalTrafficPolicy === 'Local' ? 'Cluster' : 'Local';
      if (spec.externalTrafficPolicy === 'Cluster') delete spec.healthCheckNodePort;
      said = `policy ${String(spec.externalTrafficPolicy)}`;
    }
  });
  return said;
}

async function changeNode(w: FaultWorld, rng: Rng, n: Model['nodes'][number], m: Model): Promise<string> {
  const ref = { project: w.gke.project, zone: n.zone, name: n.name };
  switch (rng.pick(['cordon', 'ready', 'ip', 'ip', 'no-ip', 'preempt', 'pod'] as const)) {
    case 'cordon':
      n.cordoned = !n.cordoned;
      await w.updateNode(n.name, { unschedulable: n.cordoned });
      return n.cordoned ? 'cordoned' : 'uncordoned';
    case 'ready':
      n.notReady = !n.notReady;
      await w.updateNode(n.name, { ready: !n.notReady });
      return n.notReady ? 'NotReady' : 'Ready again';
    case 'ip': {
      const ip = `198.19.${m.serial >> 8}.${m.serial++ & 255}`;
      const lags = rng.chance(0.5);
      if (n.stopped) return 'stopped: no IP change';
      await w.setExternalIP(n.name, ip, { nodeLags: lags });
      return `external IP → ${ip}${lags ? ' (Node object lags)' : ''}`;
    }
    case 'no-ip':
      if (n.stopped) return 'stopped: no IP change';
      await w.setExternalIP(n.name, undefined);
      return 'external IP removed';
    case 'preempt':
      if (n.stopped) {
        const ip = `198.19.${m.serial >> 8}.${m.serial++ & 255}`;
        w.gke.gce.startInstance(ref, { natIP: ip });
        n.stopped = false;
        return `started again with ${ip}`;
      }
      w.gke.gce.stopInstance(ref);
      n.stopped = true;
      return 'preempted (instance stopped)';
    case 'pod': {
      const ds = await w.ourDaemonSets();
      const ready = rng.chance(0.5) ? false : undefined;
      if (ds.length === 0) return 'no proxy pod to upset';
      const name = rng.pick(ds);
      await w.setPodReady(name, n.name, ready);
      return `proxy pod of ${name} ${ready === false ? 'not Ready' : 'back to normal'}`;
    }
  }
}

async function foreignRule(w: FaultWorld, rng: Rng, m: Model): Promise<string> {
  const kind = rng.pick(['no-marker', 'other-cluster', 'squat'] as const);
  const base = { network: 'global/networks/default', allowed: [{ IPProtocol: 'tcp', ports: [String(rng.pick(NORMAL_PORTS))] }] };
  tally.badInput('foreign look-alike firewall rule');
  if (kind === 'squat') {
    // The very name nodelb wants for a Service, taken by hand.
    const s = m.services.length > 0 ? rng.pick(m.services) : undefined;
    const uid = s ? (await w.service(s.name, s.namespace))?.metadata.uid : undefined;
    if (!uid) return 'no Service whose rule name to squat';
    const name = firewallName(w.gke.clusterUid, uid, 'IPv4');
    if (w.gke.gce.getFirewall(name)) return `rule ${name} exists already`;
    w.gke.gce.putFirewall({ name, ...base });
    return `foreign rule squats ${name}`;
  }
  const name = `nodelb-lookalike-${m.serial++}`;
  const description = kind === 'other-cluster' ? JSON.stringify({ managedBy: 'nodelb', cluster: 'another-cluster', service: 'default/x', uid: 'u', family: 'IPv4' }) : 'hand-made';
  w.gke.gce.putFirewall({ name, description, ...base });
  return `foreign rule ${name} (${kind})`;
}

async function tamper(w: FaultWorld, rng: Rng): Promise<string> {
  const rules = w.ourRules();
  if (rng.chance(0.5) && rules.length > 0) {
    const r = rng.pick(rules);
    // Widened by hand (without denied ports: I4 is about what nodelb opens).
    w.gke.gce.putFirewall({ ...r, sourceRanges: ['0.0.0.0/0'], allowed: [{ IPProtocol: 'tcp', ports: ['1000-2000'] }] });
    tally.badInput('drifted firewall rule');
    return `tamper: rule ${r.name} widened`;
  }
  const ds = await w.ourDaemonSets();
  if (ds.length === 0) return 'nothing to tamper with';
  const name = rng.pick(ds);
  await w.gke.admin.delete(`/apis/apps/v1/namespaces/${PROXY_NAMESPACE}/daemonsets/${name}`);
  return `tamper: DaemonSet ${name} deleted by hand`;
}

const KUBE_LISTS = ['/api/v1/services', '/api/v1/nodes', '/api/v1/namespaces', '/apis/apps/v1/namespaces/nodelb-system/daemonsets', '/api/v1/namespaces/nodelb-system/pods', '/apis/discovery.k8s.io/v1/endpointslices'];

/** Arms 0–3 random faults (and sometimes a crash) for the next sync; returns what it armed. */
function armFaults(w: FaultWorld, rng: Rng): string[] {
  const armed: string[] = [];
  const add = (rule: FaultRule) => {
    w.gke.faults.add(rule);
    armed.push(JSON.stringify(rule, (_, v) => (v instanceof RegExp ? v.source : v === Infinity ? 'always' : v)));
  };
  const n = rng.chance(0.35) ? 0 : rng.int(1, 3);
  for (let i = 0; i < n; i++) {
    const times = rng.pick([1, 1, 2, 3]);
    const after = rng.int(0, 3);
    switch (rng.int(0, 11)) {
      case 0:
        add({ api: 'kube', method: 'GET', path: rng.pick(KUBE_LISTS), status: rng.pick([429, 500, 503]), retryAfterSeconds: 0, times, after });
        break;
      case 1:
        add({ api: 'kube', method: rng.pick(['PUT', 'POST', 'DELETE']), status: rng.pick([409, 429, 500, 503]), times, after });
        break;
      case 2:
        add({ api: 'kube', drop: true, times, after });
        break;
      case 3:
        add({ api: 'kube', method: 'GET', path: rng.pick(KUBE_LISTS), emptyList: true, times: 1 });
        break;
      case 4:
        add({ api: rng.pick(['kube', 'compute'] as const), delayMs: rng.int(1, 30), times, after });
        break;
      case 5: {
        const [status, reason] = rng.pick([[403, 'rateLimitExceeded'], [403, 'CONCURRENT_OPERATIONS_QUOTA_EXCEEDED'], [500, 'backendError'], [503, 'backendError']] as const);
        add({ api: 'compute', method: rng.pick(['GET', 'POST', 'PATCH', 'DELETE']), path: /\/(global\/firewalls|aggregated\/instances)/, status, reason, times, after });
        break;
      }
      case 6:
        add({ api: 'compute', method: rng.pick(['POST', 'PATCH', 'DELETE']), path: /\/global\/firewalls/, dropAfterApply: true, times: 1, after });
        break;
      case 7:
        add({ api: 'compute', method: rng.pick(['POST', 'PATCH', 'DELETE']), path: /\/global\/firewalls(\/[^/]+)?$/, operationError: rng.pick(['RESOURCE_NOT_READY', 'QUOTA_EXCEEDED', 'INTERNAL_ERROR']), times, after });
        break;
      case 8:
        add({ api: 'compute', method: 'GET', path: rng.pick([/\/aggregated\/instances$/, /\/global\/firewalls$/]), emptyList: true, times: 1 });
        break;
      case 9:
        add({ api: 'compute', drop: true, times, after });
        break;
      case 10:
        // Permanent until the next checkpoint clears it: a refused permission.
        add(rng.chance(0.5)
          ? { api: 'compute', method: rng.pick(['POST', 'PATCH']), path: /\/global\/firewalls/, status: 403, reason: 'forbidden', times: Infinity }
          : { api: 'kube', method: 'PUT', path: /\/status$/, status: 403, reason: 'Forbidden', times: Infinity });
        break;
      default:
        add({ api: 'container', status: 503, times: 1 });
    }
  }
  if (rng.chance(0.15)) {
    const k = rng.int(0, 8);
    w.gke.faults.crashAfterWrites(k);
    armed.push(`crash after ${k} write(s)`);
  }
  return armed;
}

/** Duplicate owned objects are impossible by construction (deterministic names): check always. */
function duplicates(vs: Violation[]): Violation[] {
  return vs.filter((v) => / has \d+ (DaemonSets|firewall rules)/.test(v.message));
}

test(`randomized: ${STEPS} steps of world changes, faults and crashes (seed ${SEED}; replay with NODELB_FUZZ_SEED=${SEED})`, async (t) => {
  tally.scenario(`randomized seed ${SEED}`);
  const rng = mulberry32(SEED);
  const w = await startFaultWorld({ nodes: 0 });
  const m: Model = { services: [], nodes: [], serial: 1 };
  for (let i = 0; i < 3; i++) {
    const zone = `${w.gke.location}-${['a', 'b', 'c'][i]}`;
    const name = `node-${i}`;
    await w.addNode({ name, zone, externalIP: `203.0.113.${i + 1}`, externalIPv6: i === 0 ? '2001:db8:1::a' : undefined });
    m.nodes.push({ name, zone, stopped: false, cordoned: false, notReady: false });
  }
  const history: string[] = [];
  let checkpoints = 0;
  const seen = new Map<string, number>(); // Service states met at checkpoints: is the world varied?
  let convergeSyncs = 0;
  const failAt = (step: number, what: string): never => {
    throw new Error(
      `seed ${SEED}, step ${step}: ${what}\n` +
        `replay: NODELB_FUZZ_SEED=${SEED} NODELB_FUZZ_STEPS=${STEPS} node --test test/faults/randomized.test.ts\n` +
        `last steps:\n  ${history.slice(-12).join('\n  ')}`,
    );
  };
  const sync = async (step: number): Promise<SyncRun> => {
    try {
      const run = await w.sync({ options: { retry: { maxAttempts: 3, baseDelayMs: 2, maxDelayMs: 10 } } });
      if (run.report.errors.some((e) => e.stage === 'plan')) failAt(step, `the planner threw: ${JSON.stringify(run.report.errors)}`);
      return run;
    } catch (e) {
      return failAt(step, `the sync threw instead of reporting: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  };
  const checkpoint = async (step: number): Promise<void> => {
    w.gke.faults.clear();
    // Convergence is judged once the real controllers have caught up (a rollout, a pod moving).
    await w.settle();
    const foreign = await w.foreign();
    let converged = false;
    for (let i = 1; i <= CONVERGE_WITHIN && !converged; i++) {
      const run = await sync(step);
      convergeSyncs++;
      converged = run.report.converged;
      if (!converged && i === CONVERGE_WITHIN) failAt(step, `not converged after ${CONVERGE_WITHIN} fault-free syncs: ${JSON.stringify({ errors: run.report.errors, notes: run.report.plan.notes, failed: run.report.results.filter((r) => r.outcome !== 'applied') }).slice(0, 2000)}`);
    }
    const vs = await checkInvariants(() => w.state(), w.config, { foreign, resync: () => sync(step) });
    if (vs.length > 0) failAt(step, `invariants after convergence:\n${describeViolations(vs)}`);
    checkpoints++;
    for (const s of m.services) {
      const reason = (await w.condition(s.name, s.namespace))?.reason ?? 'unclaimed';
      seen.set(reason, (seen.get(reason) ?? 0) + 1);
    }
  };

  for (let step = 1; step <= STEPS; step++) {
    const changes: string[] = [];
    for (let i = rng.int(1, 2); i > 0; i--) changes.push(await changeWorld(w, rng, m));
    const armed = armFaults(w, rng);
    history.push(`#${step}: ${changes.join('; ')}${armed.length > 0 ? ` | faults: ${armed.join(', ')}` : ''}`);
    const foreign = await w.foreign();
    // Now and then two runs overlap (a schedule and an event, or a redelivery).
    const overlap = rng.chance(0.1);
    if (overlap) history[history.length - 1] += ' | two syncs at once';
    await Promise.all(Array.from({ length: overlap ? 2 : 1 }, () => sync(step)));
    w.gke.faults.clear();
    // Even mid-failure: nothing foreign touched, no denied port open, no duplicate.
    const state = await w.state();
    const always = [...checkForeignUntouched(state, w.config, foreign), ...checkDeniedPorts(state, w.config), ...duplicates(checkOwnership(state, w.config))];
    if (always.length > 0) failAt(step, `invariants that must hold even during faults:\n${describeViolations(always)}`);
    if (step % CHECK_EVERY === 0 || step === STEPS) await checkpoint(step);
  }
  t.diagnostic(`seed ${SEED}: ${STEPS} steps, ${checkpoints} convergence checkpoints (${convergeSyncs} syncs to converge), ${tally.current.faults} faults injected, ${tally.current.syncs} syncs`);
  t.diagnostic(`Service states at checkpoints: ${JSON.stringify(Object.fromEntries([...seen].sort()))}`);
});

test('tally: randomized run', () => {
  writeTally(import.meta.url);
  if (tally.current.faults === 0) throw new Error('the randomized run injected no fault');
});
