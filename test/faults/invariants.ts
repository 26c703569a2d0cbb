// The five invariants of the fault-injection suite, checked against the
// real API server's objects, the Compute sim and the call log, independently of nodelb's own code (its parsers and
// sorters are not reused, so a bug there cannot hide itself):
//   I1 a second sync with no change makes zero writes;
//   I2 every owned rule and DaemonSet maps to one live claimed Service (no duplicates), none
//      to a Service nodelb marked refused, and a Service marked published has its proxies;
//   I3 nothing without our marker is modified or deleted (nor written to, nor given an Event);
//   I4 no denied port is ever opened (rules and proxy hostPorts);
//   I5 status IPs are a sorted subset of the current Ready nodes' external IPs.
// Checks a snapshot of the world (readWorld: the real API server through the admin client, the
// Compute sim in-process, the call log); I1 runs the sync it is given.
import type { Config } from '../../functions/config.ts';
import type { Firewall, Instance } from '../../functions/adapters/apis.ts';
import type { CallRecord } from '../sim/faults.ts';
import type { KubeObject } from '../cluster/kube_http.ts';
import type { LocalGke } from '../cluster/local_gke.ts';

type WireObject = KubeObject;
type WireService = KubeObject;
type WireDaemonSet = KubeObject;

/** Everything the checks look at, read at one moment. */
export interface WorldState {
  clusterUid: string;
  services: KubeObject[];
  daemonSets: KubeObject[]; // every namespace
  nodes: KubeObject[];
  events: KubeObject[]; // every namespace
  firewalls: Firewall[];
  calls: readonly CallRecord[];
  instance(ref: { project: string; zone: string; name: string }): Instance | undefined;
}

/** Reads the world with the test's own admin client (not nodelb's code). */
export async function readWorld(gke: LocalGke): Promise<WorldState> {
  const [services, daemonSets, nodes, events] = await Promise.all(
    ['/api/v1/services', '/apis/apps/v1/daemonsets', '/api/v1/nodes', '/api/v1/events'].map(async (p) => (await gke.admin.list(p)).items),
  );
  return {
    clusterUid: gke.clusterUid,
    services: services ?? [],
    daemonSets: daemonSets ?? [],
    nodes: nodes ?? [],
    events: events ?? [],
    firewalls: gke.gce.listFirewalls(),
    calls: gke.faults.calls,
    instance: (ref) => gke.gce.getInstance(ref),
  };
}

export type InvariantName = 'I1' | 'I2' | 'I3' | 'I4' | 'I5';

export interface Violation {
  invariant: InvariantName;
  message: string;
}

export type InvariantConfig = Pick<Config, 'namespace' | 'loadBalancerClass' | 'deniedPorts'>;

const MANAGED_BY = 'app.kubernetes.io/managed-by';
const SERVICE_UID = 'nodelb.dev/service-uid';
const SERVING = 'nodelb.dev/Serving';

/** What exists before a sync and is not ours: it must come out of the sync untouched. */
export interface ForeignBaseline {
  mark: number; // index into the call log where the watched window starts
  rules: Map<string, string>; // project/name → JSON
  daemonSets: Map<string, string>; // namespace/name → JSON of what a writer could change
  services: Map<string, { uid: string; json: string }>; // namespace/name → spec, status, metadata
  events: Set<string>; // namespace/name of the Events already there
}

interface Marker {
  cluster: string;
  uid: string;
  family: string;
}

/** Our marker, parsed on its own terms: JSON with managedBy "nodelb" and this cluster's id. */
function markerOf(rule: Firewall): Marker | undefined {
  try {
    const v = JSON.parse(rule.description ?? '') as Record<string, unknown>;
    if (v.managedBy !== 'nodelb' || typeof v.cluster !== 'string' || typeof v.uid !== 'string') return undefined;
    return { cluster: v.cluster, uid: v.uid, family: String(v.family) };
  } catch {
    return undefined;
  }
}

const projectOfRule = (rule: Firewall) => /\/projects\/([^/]+)\//.exec(rule.selfLink ?? '')?.[1] ?? '';
const ruleKey = (rule: Firewall) => `${projectOfRule(rule)}/${rule.name ?? ''}`;
const key = (o: WireObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

export function isOurRule(clusterUid: string, rule: Firewall): boolean {
  return markerOf(rule)?.cluster === clusterUid;
}

function isOurDaemonSet(ds: WireObject, config: InvariantConfig): boolean {
  return ds.metadata.namespace === config.namespace && ds.metadata.labels?.[MANAGED_BY] === 'nodelb';
}

function isClaimed(svc: WireService, config: InvariantConfig): boolean {
  return svc.spec?.type === 'LoadBalancer' && svc.spec.loadBalancerClass === config.loadBalancerClass && svc.metadata.deletionTimestamp === undefined;
}

function conditionsOf(svc: WireService): { type?: string; status?: string }[] {
  return ((svc.status as { conditions?: { type?: string; status?: string }[] } | undefined)?.conditions ?? []);
}

function carriesOurMarker(svc: WireService): boolean {
  return conditionsOf(svc).some((c) => c.type === SERVING);
}

function ingressOf(svc: WireService): { ip?: string; hostname?: string }[] {
  return ((svc.status as { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } } | undefined)?.loadBalancer?.ingress ?? []);
}

function dsWatched(ds: WireDaemonSet): string {
  return JSON.stringify({ uid: ds.metadata.uid, labels: ds.metadata.labels, annotations: ds.metadata.annotations, spec: ds.spec });
}

function serviceWatched(svc: WireService): string {
  return JSON.stringify({ labels: svc.metadata.labels, annotations: svc.metadata.annotations, spec: svc.spec, status: svc.status });
}

export function captureForeign(world: WorldState, config: InvariantConfig): ForeignBaseline {
  const rules = new Map<string, string>();
  for (const r of world.firewalls) if (!isOurRule(world.clusterUid, r)) rules.set(ruleKey(r), JSON.stringify(r));
  const daemonSets = new Map<string, string>();
  for (const ds of world.daemonSets) if (!isOurDaemonSet(ds, config)) daemonSets.set(key(ds), dsWatched(ds));
  const services = new Map<string, { uid: string; json: string }>();
  for (const s of world.services) {
    if (!isClaimed(s, config) && !carriesOurMarker(s)) services.set(key(s), { uid: s.metadata.uid ?? '', json: serviceWatched(s) });
  }
  const events = new Set(world.events.map(key));
  return { mark: world.calls.length, rules, daemonSets, services, events };
}

// ---- the checks --------------------------------------------------------------------------

export function checkOwnership(world: WorldState, config: InvariantConfig): Violation[] {
  const out: Violation[] = [];
  const services = new Map(world.services.map((s) => [s.metadata.uid ?? '', s]));
  const owner = (uid: string, what: string): void => {
    const svc = services.get(uid);
    if (!svc) out.push({ invariant: 'I2', message: `${what} belongs to Service uid ${uid}, which does not exist` });
    else if (!isClaimed(svc, config)) out.push({ invariant: 'I2', message: `${what} belongs to ${key(svc)}, which nodelb does not claim (type ${svc.spec?.type}, class ${svc.spec?.loadBalancerClass ?? 'none'})` });
  };
  const dsByUid = new Map<string, string[]>();
  for (const ds of world.daemonSets) {
    if (!isOurDaemonSet(ds, config)) continue;
    const uid = ds.metadata.labels?.[SERVICE_UID] ?? '';
    dsByUid.set(uid, [...(dsByUid.get(uid) ?? []), ds.metadata.name ?? '']);
    owner(uid, `DaemonSet ${key(ds)}`);
  }
  for (const [uid, names] of dsByUid) if (names.length > 1) out.push({ invariant: 'I2', message: `Service uid ${uid} has ${names.length} DaemonSets: ${names.join(', ')}` });
  const rulesByOwner = new Map<string, string[]>();
  for (const r of world.firewalls) {
    const m = markerOf(r);
    if (!m || m.cluster !== world.clusterUid) continue;
    const k = `${m.uid} ${m.family}`;
    rulesByOwner.set(k, [...(rulesByOwner.get(k) ?? []), r.name ?? '']);
    owner(m.uid, `firewall rule ${r.name}`);
  }
  for (const [k, names] of rulesByOwner) if (names.length > 1) out.push({ invariant: 'I2', message: `${k} has ${names.length} firewall rules: ${names.join(', ')}` });
  // The Service's own condition, as nodelb last wrote it: refused means nothing may be open for
  // it; published means its proxies exist.
  for (const svc of services.values()) {
    if (!isClaimed(svc, config)) continue;
    const uid = svc.metadata.uid ?? '';
    const reason = (conditionsOf(svc).find((c) => c.type === SERVING) as { reason?: string } | undefined)?.reason;
    const rules = [...rulesByOwner.entries()].filter(([k]) => k.startsWith(`${uid} `)).flatMap(([, names]) => names);
    if (reason && REFUSED.has(reason) && ((dsByUid.get(uid) ?? []).length > 0 || rules.length > 0)) {
      out.push({ invariant: 'I2', message: `${key(svc)} is refused (${reason}) yet owns ${[...(dsByUid.get(uid) ?? []), ...rules].join(', ')}` });
    }
    if (reason === 'Published' && (dsByUid.get(uid) ?? []).length === 0) out.push({ invariant: 'I2', message: `${key(svc)} says Published but has no proxy DaemonSet` });
  }
  return out;
}

const REFUSED = new Set(['Refused', 'InvalidConfiguration', 'PortConflict']);

function pathTargets(path: string): { rule?: string; daemonSet?: string; service?: string } {
  let m = /^\/compute\/v1\/projects\/([^/]+)\/global\/firewalls\/([^/]+)$/.exec(path);
  if (m) return { rule: `${decodeURIComponent(m[1] ?? '')}/${decodeURIComponent(m[2] ?? '')}` };
  m = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/daemonsets\/([^/]+)(\/status)?$/.exec(path);
  if (m) return { daemonSet: `${m[1]}/${m[2]}` };
  m = /^\/api\/v1\/namespaces\/([^/]+)\/services\/([^/]+)(\/status)?$/.exec(path);
  if (m) return { service: `${m[1]}/${m[2]}` };
  return {};
}

export function checkForeignUntouched(world: WorldState, config: InvariantConfig, base: ForeignBaseline): Violation[] {
  const out: Violation[] = [];
  const v = (message: string) => out.push({ invariant: 'I3', message });
  const rules = new Map(world.firewalls.map((r) => [ruleKey(r), r]));
  for (const [k, json] of base.rules) {
    const now = rules.get(k);
    if (!now) v(`foreign firewall rule ${k} was deleted`);
    else if (JSON.stringify(now) !== json) v(`foreign firewall rule ${k} was modified`);
  }
  const daemonSets = new Map(world.daemonSets.map((d) => [key(d), d]));
  for (const [k, json] of base.daemonSets) {
    const now = daemonSets.get(k);
    if (!now) v(`foreign DaemonSet ${k} was deleted`);
    else if (dsWatched(now) !== json) v(`foreign DaemonSet ${k} was modified`);
  }
  const services = new Map(world.services.map((s) => [key(s), s]));
  const foreignUids = new Set<string>();
  for (const [k, { uid, json }] of base.services) {
    foreignUids.add(uid);
    const now = services.get(k);
    if (now && now.metadata.uid === uid && serviceWatched(now) !== json) v(`Service ${k}, not nodelb's, was modified`);
  }
  for (const c of world.calls.slice(base.mark)) {
    if (!c.write) continue;
    const t = pathTargets(c.path);
    if (t.rule && base.rules.has(t.rule)) v(`${c.method} ${c.path}: a write to a foreign firewall rule`);
    if (t.daemonSet && base.daemonSets.has(t.daemonSet)) v(`${c.method} ${c.path}: a write to a foreign DaemonSet`);
    if (t.service && base.services.has(t.service)) v(`${c.method} ${c.path}: a write to a Service nodelb does not claim`);
  }
  for (const e of world.events as (WireObject & { involvedObject?: { uid?: string }; reportingComponent?: string; source?: { component?: string } })[]) {
    if (base.events.has(key(e))) continue;
    const ours = e.reportingComponent === 'nodelb.dev/controller' || e.source?.component === 'nodelb';
    if (ours && foreignUids.has(e.involvedObject?.uid ?? '')) v(`Event ${key(e)} recorded on a Service nodelb does not claim`);
  }
  return out;
}

function portEntries(entry: string): [number, number] {
  const [a, b] = entry.split('-');
  return [Number(a), Number(b ?? a)];
}

export function checkDeniedPorts(world: WorldState, config: InvariantConfig): Violation[] {
  const out: Violation[] = [];
  const denied = (from: number, to: number) => config.deniedPorts.find((d) => from <= d.to && d.from <= to);
  for (const r of world.firewalls) {
    if (!isOurRule(world.clusterUid, r)) continue; // look-alikes are not ours: I3 watches them
    for (const a of r.allowed ?? []) {
      for (const p of a.ports ?? []) {
        const [from, to] = portEntries(p);
        const d = denied(from, to);
        if (d) out.push({ invariant: 'I4', message: `firewall rule ${r.name} opens ${a.IPProtocol}:${p}, denied by ${d.from}-${d.to}` });
      }
    }
  }
  for (const ds of world.daemonSets) {
    if (!isOurDaemonSet(ds, config)) continue;
    const containers = (ds.spec as { template?: { spec?: { containers?: { ports?: { hostPort?: number; protocol?: string }[] }[] } } } | undefined)?.template?.spec?.containers ?? [];
    for (const c of containers) {
      for (const p of c.ports ?? []) {
        if (p.hostPort === undefined) continue;
        const d = denied(p.hostPort, p.hostPort);
        if (d) out.push({ invariant: 'I4', message: `DaemonSet ${key(ds)} takes host port ${p.hostPort}/${p.protocol ?? 'TCP'}, denied by ${d.from}-${d.to}` });
      }
    }
  }
  return out;
}

// -- IP handling written for this check alone (not nodelb's ip.ts) --

function expandIPv6(ip: string): number[] | undefined {
  const s = ip.toLowerCase();
  if (!/^[0-9a-f:]+$/.test(s)) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const part = (h: string) => (h === '' ? [] : h.split(':').map((g) => parseInt(g, 16)));
  const head = part(halves[0] ?? '');
  const tail = halves.length === 2 ? part(halves[1] ?? '') : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? head.length !== 8 : fill < 1) return undefined;
  const groups = [...head, ...Array<number>(halves.length === 2 ? fill : 0).fill(0), ...tail];
  return groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

function ipKey(ip: string): { family: 'IPv4' | 'IPv6'; parts: number[] } | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (v4) return { family: 'IPv4', parts: v4.slice(1).map(Number) };
  const v6 = expandIPv6(ip);
  return v6 ? { family: 'IPv6', parts: v6 } : undefined;
}

const canonical = (ip: string) => {
  const k = ipKey(ip);
  return k ? `${k.family} ${k.parts.join('.')}` : `invalid ${ip}`;
};

function compareParts(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** External IPs of the nodes that are Ready now: GCE's natIP/externalIpv6 for GCE nodes whose
 *  instance is RUNNING, Node.status.addresses otherwise. Canonical forms. */
export function readyNodeIPs(world: WorldState): Set<string> {
  const out = new Set<string>();
  for (const n of world.nodes) {
    if (n.metadata.deletionTimestamp !== undefined) continue;
    const ready = ((n.status as { conditions?: { type?: string; status?: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
    if (!ready) continue;
    const providerID = (n.spec as { providerID?: string } | undefined)?.providerID ?? '';
    const m = /^gce:\/\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(providerID);
    if (m) {
      const inst: Instance | undefined = world.instance({ project: m[1] ?? '', zone: m[2] ?? '', name: m[3] ?? '' });
      if (!inst || inst.status !== 'RUNNING') continue;
      for (const nic of inst.networkInterfaces ?? []) {
        for (const ac of nic.accessConfigs ?? []) if (ac.natIP) out.add(canonical(ac.natIP));
        for (const ac of nic.ipv6AccessConfigs ?? []) if (ac.externalIpv6) out.add(canonical(ac.externalIpv6));
      }
    } else {
      const addrs = (n.status as { addresses?: { type?: string; address?: string }[] } | undefined)?.addresses ?? [];
      for (const a of addrs) if (a.type === 'ExternalIP' && a.address) out.add(canonical(a.address));
    }
  }
  return out;
}

export function checkStatusIPs(world: WorldState, config: InvariantConfig): Violation[] {
  const out: Violation[] = [];
  const ready = readyNodeIPs(world);
  for (const svc of world.services) {
    if (!isClaimed(svc, config) && !carriesOurMarker(svc)) continue;
    const ingress = ingressOf(svc);
    const v = (message: string) => out.push({ invariant: 'I5', message: `${key(svc)}: ${message}` });
    if (ingress.some((i) => i.hostname)) v('a hostname in status.loadBalancer.ingress');
    const ips = ingress.map((i) => i.ip ?? '');
    const stray = ips.filter((ip) => !ready.has(canonical(ip)));
    if (stray.length > 0) v(`${stray.join(', ')} in status, not an external IP of a Ready node (Ready: ${[...ready].join(', ') || 'none'})`);
    if (new Set(ips.map(canonical)).size !== ips.length) v(`duplicate IPs in status: ${ips.join(', ')}`);
    const families = (svc.spec?.ipFamilies as string[] | undefined) ?? ['IPv4'];
    const keys = ips.map((ip) => ipKey(ip));
    const sorted = [...keys].sort((a, b) => {
      if (!a || !b) return 0;
      const fa = families.indexOf(a.family);
      const fb = families.indexOf(b.family);
      return fa !== fb ? fa - fb : compareParts(a.parts, b.parts);
    });
    if (keys.some((k, i) => k !== sorted[i])) v(`status IPs not sorted: ${ips.join(', ')}`);
    if (keys.some((k) => k && !families.includes(k.family))) v(`an IP of a family the Service does not use (${families.join(',')}): ${ips.join(', ')}`);
  }
  return out;
}

export interface CheckOptions {
  /** I1: runs one more sync; it must make no write. Left out: I1 is not checked. */
  resync?: () => Promise<unknown>;
  /** I3: taken before the sync(s) under test. Left out: I3 is not checked. */
  foreign?: ForeignBaseline;
}

/** Every violation found; empty when all hold. */
export async function checkInvariants(read: () => Promise<WorldState>, config: InvariantConfig, opts: CheckOptions = {}): Promise<Violation[]> {
  const world = await read();
  const out: Violation[] = [...checkOwnership(world, config), ...checkDeniedPorts(world, config), ...checkStatusIPs(world, config)];
  if (opts.resync) {
    const mark = world.calls.length;
    await opts.resync();
    const writes = world.calls.slice(mark).filter((c) => c.write);
    if (writes.length > 0) {
      out.push({ invariant: 'I1', message: `a sync with nothing changed made ${writes.length} write(s): ${writes.map((c) => `${c.api} ${c.method} ${c.path} → ${c.status}`).join('; ')}` });
    }
  }
  if (opts.foreign) out.push(...checkForeignUntouched(opts.resync ? await read() : world, config, opts.foreign));
  return out;
}

export function describeViolations(vs: readonly Violation[]): string {
  return vs.map((v) => `${v.invariant}: ${v.message}`).join('\n');
}
