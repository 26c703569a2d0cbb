// What a Pub/Sub message on the nodelb topic asks for, and which configured clusters it concerns.
// Pure: no I/O, no clock. The event only says "sync this cluster now" and why; its content is
// never trusted for what to write (the sync re-reads the world).
import { formatClusterName, parseClusterName, type ClusterName } from '../cluster_name.ts';

/** The GCE instance methods whose audit entries (activity and system_event logs) mean "a node
 *  may have appeared, gone, or changed IP/tags". Without the `v1.`/`beta.` API-version prefix. */
export const GCE_METHODS = [
  'compute.instances.insert',
  'compute.instances.delete',
  'compute.instances.start',
  'compute.instances.stop',
  'compute.instances.reset',
  'compute.instances.suspend',
  'compute.instances.resume',
  'compute.instances.addAccessConfig',
  'compute.instances.deleteAccessConfig',
  'compute.instances.updateAccessConfig',
  'compute.instances.setTags',
  // System events (Google-initiated; logName .../system_event, no version prefix).
  'compute.instances.preempted',
  'compute.instances.hostError',
  'compute.instances.guestTerminate',
  'compute.instances.terminateOnHostMaintenance',
  'compute.instances.automaticRestart',
  // MIG autohealing (principal system@google.com).
  'compute.instances.repair.recreateInstance',
] as const;

/** API-version prefixes that callers' audit entries carry (`v1.compute.instances.stop`). */
export const GCE_METHOD_PREFIXES = ['v1.', 'beta.'] as const;

/** Methods after which the instance stops serving: passed to the planner as `goingAway`, so it
 *  drops the node before Kubernetes notices (NotReady comes minutes later). */
export const GOING_AWAY_METHODS: ReadonlySet<string> = new Set([
  'compute.instances.stop',
  'compute.instances.delete',
  'compute.instances.suspend',
  'compute.instances.preempted',
  'compute.instances.guestTerminate',
  'compute.instances.hostError',
  'compute.instances.terminateOnHostMaintenance',
]);

/** GKE (k8s.io) audit methods that change what nodelb publishes. Service status
 *  (`…services.status.update`) is left out on purpose: nodelb writes it itself, and reacting to
 *  its own writes would loop. Node status (the kubelet's Ready/NotReady) is only in the Data
 *  Access log, which the sink routes when the operator turns it on. */
export const GKE_RESOURCES = ['services', 'nodes'] as const;
export const GKE_VERBS = ['create', 'update', 'patch', 'delete'] as const;
export const GKE_NODE_STATUS_METHODS = ['io.k8s.core.v1.nodes.status.patch', 'io.k8s.core.v1.nodes.status.update'] as const;
export const GKE_METHODS: readonly string[] = [
  ...GKE_RESOURCES.flatMap((r) => GKE_VERBS.map((v) => `io.k8s.core.v1.${r}.${v}`)),
  ...GKE_NODE_STATUS_METHODS,
];

export interface OperationRef {
  id?: string;
  producer?: string;
  first: boolean;
  last: boolean;
}

/** What the fan-out publishes: one message per cluster, each synced in its own invocation. */
export const FANOUT_REASON = 'fanout';

export type Trigger =
  /** Cloud Scheduler's `{"reason":"schedule"}`, or any message that is not a LogEntry. */
  | { kind: 'schedule'; reason: string; messageId?: string }
  /** `{"reason":"fanout","cluster":"projects/P/locations/L/clusters/C"}`: one cluster of a round. */
  | { kind: 'cluster'; cluster: string; reason: string; messageId?: string }
  | {
      kind: 'gce';
      methodName: string; // without version prefix
      project: string;
      zone?: string;
      instance?: string; // instance name
      instanceId?: string;
      principal?: string;
      operation?: OperationRef;
      /** The call failed (protoPayload.status.code ≠ 0): nothing changed, but a sync is harmless. */
      failed: boolean;
      messageId?: string;
    }
  | {
      kind: 'gke';
      methodName: string;
      project: string;
      location: string;
      cluster: string; // short name
      resourceName?: string; // core/v1/namespaces/NS/services/NAME
      principal?: string;
      messageId?: string;
    }
  /** A well-formed LogEntry that nodelb does not act on (another service or method). */
  | { kind: 'ignored'; why: string; methodName?: string; messageId?: string }
  /** Not decodable: a retry cannot fix it, so it is logged and acknowledged. */
  | { kind: 'invalid'; why: string; messageId?: string };

export interface Selection {
  clusters: string[]; // full names, a subset of the configured ones, in configured order
  goingAway: string[]; // instance names
  why: string; // one line for the log
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const at = (o: unknown, ...path: string[]): unknown => {
  let cur = o;
  for (const k of path) {
    if (!isObj(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
};

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Decodes a Pub/Sub CloudEvent's data (`{message: {data, attributes, messageId, publishTime},
 *  subscription}`) into a Trigger. Never throws. */
export function parsePubSubMessage(data: unknown): Trigger {
  const message = at(data, 'message');
  if (!isObj(message)) return { kind: 'invalid', why: 'not a Pub/Sub push envelope: no message object' };
  const messageId = str(message.messageId) ?? str(message.message_id);
  const withId = <T extends Trigger>(t: T): T => (messageId === undefined ? t : { ...t, messageId });

  const raw = message.data;
  if (raw === undefined || raw === null || raw === '') {
    return withId({ kind: 'schedule', reason: 'empty message' });
  }
  if (typeof raw !== 'string') return withId({ kind: 'invalid', why: 'message.data is not a base64 string' });
  const compact = raw.replace(/\s+/g, '');
  if (!BASE64.test(compact)) return withId({ kind: 'invalid', why: 'message.data is not base64' });
  const text = Buffer.from(compact, 'base64').toString('utf8').trim();
  if (text === '') return withId({ kind: 'schedule', reason: 'empty message' });

  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return withId({ kind: 'invalid', why: `message.data is not JSON: ${JSON.stringify(text.slice(0, 80))}` });
  }
  return withId(parsePayload(payload));
}

/** A decoded message body: a LogEntry from a Log Router sink, or anything else (a schedule). */
export function parsePayload(payload: unknown): Trigger {
  if (!isLogEntry(payload)) {
    const reason = str(at(payload, 'reason'));
    const cluster = at(payload, 'cluster');
    if (cluster !== undefined) {
      // A message that names a cluster must name it well: syncing everything instead would undo the fan-out.
      if (typeof cluster !== 'string' || parseClusterName(cluster) === undefined) {
        return { kind: 'invalid', why: `"cluster" is not projects/P/locations/L/clusters/C: ${JSON.stringify(cluster).slice(0, 120)}` };
      }
      return { kind: 'cluster', cluster, reason: reason ?? FANOUT_REASON };
    }
    return { kind: 'schedule', reason: reason ?? 'message' };
  }
  const serviceName = str(at(payload, 'protoPayload', 'serviceName'));
  const methodName = str(at(payload, 'protoPayload', 'methodName'));
  if (serviceName === 'compute.googleapis.com') return parseGceEntry(payload, methodName);
  if (serviceName === 'k8s.io') return parseGkeEntry(payload, methodName);
  return {
    kind: 'ignored',
    why: serviceName ? `LogEntry from ${serviceName}, not compute.googleapis.com or k8s.io` : 'LogEntry without protoPayload.serviceName',
    ...(methodName ? { methodName } : {}),
  };
}

function isLogEntry(v: unknown): v is Obj {
  return isObj(v) && (isObj(v.protoPayload) || (typeof v.logName === 'string' && isObj(v.resource)));
}

/** `v1.compute.instances.stop` → `compute.instances.stop`. */
export function normalizeGceMethod(methodName: string): string {
  for (const p of GCE_METHOD_PREFIXES) if (methodName.startsWith(p)) return methodName.slice(p.length);
  return methodName;
}

function parseGceEntry(entry: Obj, methodName: string | undefined): Trigger {
  if (methodName === undefined) return { kind: 'ignored', why: 'compute LogEntry without methodName' };
  const method = normalizeGceMethod(methodName);
  if (!(GCE_METHODS as readonly string[]).includes(method)) {
    return { kind: 'ignored', why: `compute method ${methodName} does not concern node IPs`, methodName };
  }
  const resourceName = str(at(entry, 'protoPayload', 'resourceName')) ?? '';
  const path = /(?:^|\/)projects\/([^/]+)\/zones\/([^/]+)\/instances\/([^/]+)$/.exec(resourceName);
  const project = str(at(entry, 'resource', 'labels', 'project_id')) ?? path?.[1];
  if (project === undefined) return { kind: 'invalid', why: `compute ${method} entry names no project` };
  const zone = str(at(entry, 'resource', 'labels', 'zone')) ?? path?.[2];
  const instanceId = str(at(entry, 'resource', 'labels', 'instance_id'));
  // Some entries name the instance by its numeric id; that is no name.
  const named = path?.[3];
  const instance = named !== undefined && !/^\d+$/.test(named) ? named : undefined;
  const principal = str(at(entry, 'protoPayload', 'authenticationInfo', 'principalEmail'));
  const statusCode = at(entry, 'protoPayload', 'status', 'code');
  const op = at(entry, 'operation');
  const operation: OperationRef | undefined = isObj(op)
    ? {
        ...(str(op.id) ? { id: str(op.id) } : {}),
        ...(str(op.producer) ? { producer: str(op.producer) } : {}),
        first: op.first === true,
        last: op.last === true,
      }
    : undefined;
  return {
    kind: 'gce',
    methodName: method,
    project,
    ...(zone ? { zone } : {}),
    ...(instance ? { instance } : {}),
    ...(instanceId ? { instanceId } : {}),
    ...(principal ? { principal } : {}),
    ...(operation ? { operation } : {}),
    failed: typeof statusCode === 'number' && statusCode !== 0,
  };
}

function parseGkeEntry(entry: Obj, methodName: string | undefined): Trigger {
  if (methodName === undefined) return { kind: 'ignored', why: 'k8s.io LogEntry without methodName' };
  if (!GKE_METHODS.includes(methodName)) {
    return { kind: 'ignored', why: `Kubernetes method ${methodName} does not concern load balancers`, methodName };
  }
  const project = str(at(entry, 'resource', 'labels', 'project_id'));
  const location = str(at(entry, 'resource', 'labels', 'location'));
  const cluster = str(at(entry, 'resource', 'labels', 'cluster_name'));
  if (project === undefined || location === undefined || cluster === undefined) {
    return { kind: 'invalid', why: `k8s.io ${methodName} entry lacks resource.labels project_id/location/cluster_name` };
  }
  const resourceName = str(at(entry, 'protoPayload', 'resourceName'));
  const principal = str(at(entry, 'protoPayload', 'authenticationInfo', 'principalEmail'));
  return {
    kind: 'gke',
    methodName,
    project,
    location,
    cluster,
    ...(resourceName ? { resourceName } : {}),
    ...(principal ? { principal } : {}),
  };
}

/** `us-central1-a` → `us-central1`. */
export function regionOfZone(zone: string): string {
  return zone.replace(/-[a-z0-9]+$/, '');
}

/** GKE node instances are `gke-<cluster name, maybe truncated>-<pool>-<hash>-<suffix>`. The
 *  truncation length is not documented, so any prefix of the cluster name of at least this many
 *  characters (or the whole name) followed by "-" counts. Over-matching costs one extra sync;
 *  under-matching would cost a missed event, and the caller falls back to "all candidates". */
const MIN_TRUNCATED_NAME = 8;

export function instanceMayBelongTo(instance: string, clusterName: string): boolean {
  if (!instance.startsWith('gke-')) return false;
  const rest = instance.slice(4);
  for (let n = clusterName.length; n >= Math.min(clusterName.length, MIN_TRUNCATED_NAME); n--) {
    if (rest.startsWith(`${clusterName.slice(0, n)}-`)) return true;
  }
  return false;
}

/** Which configured clusters a trigger concerns. Level-triggered: when unsure, sync more. */
export function selectClusters(trigger: Trigger, configured: readonly string[]): Selection {
  const none = (why: string): Selection => ({ clusters: [], goingAway: [], why });
  switch (trigger.kind) {
    case 'schedule':
      return { clusters: [...configured], goingAway: [], why: `schedule (${trigger.reason}): every configured cluster` };
    case 'cluster':
      return configured.includes(trigger.cluster)
        ? { clusters: [trigger.cluster], goingAway: [], why: `${trigger.reason}: ${trigger.cluster}` }
        : none(`${trigger.reason}: ${trigger.cluster} is not configured`);
    case 'invalid':
      return none(`unparseable message: ${trigger.why}`);
    case 'ignored':
      return none(trigger.why);
    case 'gke': {
      const full = formatClusterName(trigger.project, trigger.location, trigger.cluster);
      return configured.includes(full)
        ? { clusters: [full], goingAway: [], why: `${trigger.methodName} in ${full}` }
        : none(`${trigger.methodName} in ${full}, which is not configured`);
    }
    case 'gce':
      return selectForInstance(trigger, configured);
  }
}

function selectForInstance(t: Extract<Trigger, { kind: 'gce' }>, configured: readonly string[]): Selection {
  const what = `${t.methodName} of ${t.instance ?? t.instanceId ?? 'an instance'} in ${t.project}${t.zone ? `/${t.zone}` : ''}`;
  const inProject = configured.map(parseClusterName).filter((c): c is ClusterName => c !== undefined && c.project === t.project);
  // A zonal cluster's location is its zone; a regional cluster's is the zone's region.
  const candidates = t.zone === undefined ? inProject : inProject.filter((c) => c.location === t.zone || c.location === regionOfZone(t.zone!));
  if (candidates.length === 0) return { clusters: [], goingAway: [], why: `${what}: no configured cluster there` };

  let chosen = candidates;
  let how = 'name not known: every configured cluster there';
  if (t.instance !== undefined) {
    if (!t.instance.startsWith('gke-')) {
      return { clusters: [], goingAway: [], why: `${what}: not a GKE node (name does not start with gke-)` };
    }
    const byName = candidates.filter((c) => instanceMayBelongTo(t.instance!, c.name));
    if (byName.length > 0) {
      chosen = byName;
      how = 'node name matches';
    } else {
      how = 'node name matches no configured cluster: every configured cluster there';
    }
  }
  const goingAway = t.instance !== undefined && !t.failed && GOING_AWAY_METHODS.has(t.methodName) ? [t.instance] : [];
  return { clusters: chosen.map((c) => c.full), goingAway, why: `${what}: ${how}` };
}

/** Labels for the sync's logger: trigger kind, method, instance or resource. */
export function triggerLabels(t: Trigger): Record<string, string> {
  const labels: Record<string, string> = { trigger: t.kind };
  if (t.messageId) labels.messageId = t.messageId;
  switch (t.kind) {
    case 'schedule':
      labels.reason = t.reason;
      break;
    case 'cluster':
      labels.reason = t.reason; // the cluster itself is the sync's own label
      break;
    case 'gce':
      labels.methodName = t.methodName;
      if (t.instance) labels.instance = t.instance;
      if (t.zone) labels.zone = t.zone;
      if (t.operation) labels.operation = t.operation.first ? 'first' : t.operation.last ? 'last' : 'middle';
      break;
    case 'gke':
      labels.methodName = t.methodName;
      if (t.resourceName) labels.resource = t.resourceName;
      break;
    case 'ignored':
      if (t.methodName) labels.methodName = t.methodName;
      break;
    case 'invalid':
      break;
  }
  return labels;
}
