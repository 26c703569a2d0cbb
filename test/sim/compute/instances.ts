// VM instances of the simulated GCE (in-memory state) and their JSON as GCE renders it: ids as
// strings, full-URL zone/machineType/network, GKE labels, network tags, scheduling (spot,
// preemptible), one NIC with an ephemeral external IPv4 (ONE_TO_ONE_NAT) and optionally an
// external IPv6 (DIRECT_IPV6). A stopped instance keeps its access configs but loses the
// ephemeral addresses, as GCE releases them on stop.
import { createHash } from 'node:crypto';
import type { Instance } from '../../../functions/adapters/apis.ts';
import { COMPUTE_URL, gceTimestamp, newId } from './ids.ts';
import { notFound } from './errors.ts';
import { networkUrl, type ProjectRegistry } from './projects.ts';

export type InstanceStatus =
  | 'PROVISIONING'
  | 'STAGING'
  | 'RUNNING'
  | 'STOPPING'
  | 'STOPPED'
  | 'SUSPENDING'
  | 'SUSPENDED'
  | 'REPAIRING'
  | 'TERMINATED';

export interface InstanceRef {
  project?: string; // the sim's default project when absent
  zone: string;
  name: string;
}

export interface InstanceSpec extends InstanceRef {
  status?: InstanceStatus; // default RUNNING
  /** Ephemeral external IPv4. Without it (and without `externalAccess`) the NIC has no access config. */
  natIP?: string;
  /** Keep an ONE_TO_ONE_NAT access config even without natIP (what a stopped VM shows). */
  externalAccess?: boolean;
  externalIpv6?: string;
  /** Keep the DIRECT_IPV6 access config even without an address. */
  ipv6Access?: boolean;
  networkIP?: string;
  tags?: string[];
  labels?: Record<string, string>;
  /** Adds GKE's node labels (goog-k8s-cluster-name, goog-k8s-node-pool-name, …). */
  cluster?: string;
  nodePool?: string; // default default-pool
  clusterLocation?: string; // default: the zone's region
  spot?: boolean;
  preemptible?: boolean;
  machineType?: string; // default e2-medium
  network?: string; // default default
  networkProject?: string; // Shared VPC host project; default the instance's project
  subnetwork?: string; // default default
  canIpForward?: boolean; // default true (GKE nodes forward)
  id?: string;
  creationTimestamp?: string;
}

/** Top-level Instance fields a filter may name (GCE rejects unknown ones). */
export const INSTANCE_FIELDS: ReadonlySet<string> = new Set([
  'canIpForward',
  'cpuPlatform',
  'creationTimestamp',
  'deletionProtection',
  'description',
  'disks',
  'fingerprint',
  'hostname',
  'id',
  'kind',
  'labelFingerprint',
  'labels',
  'lastStartTimestamp',
  'lastStopTimestamp',
  'machineType',
  'metadata',
  'minCpuPlatform',
  'name',
  'networkInterfaces',
  'scheduling',
  'selfLink',
  'serviceAccounts',
  'startRestricted',
  'status',
  'statusMessage',
  'tags',
  'zone',
]);

interface InstanceRecord {
  spec: InstanceSpec & { project: string; id: string; creationTimestamp: string; networkIP: string };
  rendered: Instance;
}

export function regionOf(zone: string): string {
  return zone.replace(/-[a-z]$/, '');
}

function fingerprint(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64').slice(0, 11) + '=';
}

function render(s: InstanceRecord['spec']): Instance {
  const zoneUrl = `${COMPUTE_URL}/projects/${s.project}/zones/${s.zone}`;
  const netProject = s.networkProject ?? s.project;
  const region = regionOf(s.zone);
  const interruptible = Boolean(s.spot || s.preemptible);
  // A stopped or suspended VM has no ephemeral addresses, whatever the spec still says.
  const hasAddresses = !['TERMINATED', 'STOPPED', 'SUSPENDED'].includes(s.status ?? 'RUNNING');
  const v6 = s.externalIpv6 !== undefined || s.ipv6Access === true;
  const labels: Record<string, string> = {};
  if (s.cluster !== undefined) {
    labels['goog-gke-node'] = '';
    labels['goog-k8s-cluster-location'] = s.clusterLocation ?? region;
    labels['goog-k8s-cluster-name'] = s.cluster;
    labels['goog-k8s-node-pool-name'] = s.nodePool ?? 'default-pool';
  }
  Object.assign(labels, s.labels ?? {});

  const nic: NonNullable<Instance['networkInterfaces']>[number] = {
    kind: 'compute#networkInterface',
    name: 'nic0',
    network: networkUrl({ project: netProject, name: s.network ?? 'default' }),
    subnetwork: `${COMPUTE_URL}/projects/${netProject}/regions/${region}/subnetworks/${s.subnetwork ?? 'default'}`,
    networkIP: s.networkIP,
    stackType: v6 ? 'IPV4_IPV6' : 'IPV4_ONLY',
  };
  if (s.natIP !== undefined || s.externalAccess) {
    nic.accessConfigs = [
      {
        kind: 'compute#accessConfig',
        type: 'ONE_TO_ONE_NAT',
        name: 'external-nat',
        ...(s.natIP !== undefined && hasAddresses ? { natIP: s.natIP } : {}),
        networkTier: 'PREMIUM',
      },
    ];
  }
  if (v6) {
    nic.ipv6AccessType = 'EXTERNAL';
    nic.ipv6AccessConfigs = [
      {
        kind: 'compute#accessConfig',
        type: 'DIRECT_IPV6',
        name: 'external-ipv6',
        ...(s.externalIpv6 !== undefined && hasAddresses ? { externalIpv6: s.externalIpv6, externalIpv6PrefixLength: 96 } : {}),
        networkTier: 'PREMIUM',
      },
    ];
  }
  nic.fingerprint = fingerprint(nic);

  const tags: Instance['tags'] = { fingerprint: fingerprint(s.tags ?? []) };
  if (s.tags && s.tags.length > 0) tags.items = [...s.tags];

  const out: Instance = {
    kind: 'compute#instance',
    id: s.id,
    creationTimestamp: s.creationTimestamp,
    name: s.name,
    description: '',
    tags,
    machineType: `${zoneUrl}/machineTypes/${s.machineType ?? 'e2-medium'}`,
    status: s.status ?? 'RUNNING',
    zone: zoneUrl,
    canIpForward: s.canIpForward ?? true,
    networkInterfaces: [nic],
    selfLink: `${zoneUrl}/instances/${s.name}`,
    scheduling: {
      onHostMaintenance: interruptible ? 'TERMINATE' : 'MIGRATE',
      automaticRestart: !interruptible,
      preemptible: interruptible,
      provisioningModel: s.spot ? 'SPOT' : 'STANDARD',
    },
    labels,
    labelFingerprint: fingerprint(labels),
    startRestricted: false,
    deletionProtection: false,
  };
  out.fingerprint = fingerprint(out);
  return Object.freeze(out);
}

export class InstanceStore {
  private readonly byProject = new Map<string, Map<string, InstanceRecord>>(); // key zone/name
  private readonly projects: ProjectRegistry;
  private readonly defaultProject: string;
  private nextIp = 0;

  constructor(projects: ProjectRegistry, defaultProject: string) {
    this.projects = projects;
    this.defaultProject = defaultProject;
  }

  private key(ref: InstanceRef): [string, string] {
    return [ref.project ?? this.defaultProject, `${ref.zone}/${ref.name}`];
  }

  private record(ref: InstanceRef): InstanceRecord {
    const [project, key] = this.key(ref);
    const rec = this.byProject.get(project)?.get(key);
    if (!rec) throw notFound(`projects/${project}/zones/${ref.zone}/instances/${ref.name}`);
    return rec;
  }

  private allocateIp(): string {
    const n = this.nextIp++;
    return `10.128.${Math.floor(n / 250) % 256}.${(n % 250) + 2}`;
  }

  /** Adds or replaces an instance. */
  put(spec: InstanceSpec): Instance {
    const [project, key] = this.key(spec);
    this.projects.addZone(project, spec.zone);
    let table = this.byProject.get(project);
    if (!table) {
      table = new Map();
      this.byProject.set(project, table);
    }
    const prev = table.get(key)?.spec;
    const full = {
      ...spec,
      project,
      id: spec.id ?? prev?.id ?? newId(),
      creationTimestamp: spec.creationTimestamp ?? prev?.creationTimestamp ?? gceTimestamp(Date.now()),
      networkIP: spec.networkIP ?? prev?.networkIP ?? this.allocateIp(),
    };
    const rec = { spec: full, rendered: render(full) };
    table.set(key, rec);
    return structuredClone(rec.rendered);
  }

  /** Changes some properties of an existing instance (404 when absent). */
  update(ref: InstanceRef, patch: Partial<Omit<InstanceSpec, 'project' | 'zone' | 'name'>>): Instance {
    const rec = this.record(ref);
    return this.put({ ...rec.spec, ...patch });
  }

  remove(ref: InstanceRef): boolean {
    const [project, key] = this.key(ref);
    return this.byProject.get(project)?.delete(key) ?? false;
  }

  /** An ephemeral IP change (or release with undefined); the access config stays. */
  setNatIP(ref: InstanceRef, natIP: string | undefined): Instance {
    const rec = this.record(ref);
    const { natIP: _old, ...rest } = rec.spec;
    return this.put(natIP === undefined ? { ...rest, externalAccess: true } : { ...rest, natIP, externalAccess: true });
  }

  /** Like `gcloud compute instances delete-access-config`: no external IPv4 at all. */
  removeAccessConfig(ref: InstanceRef): Instance {
    const { natIP: _old, externalAccess: _ea, ...rest } = this.record(ref).spec;
    return this.put(rest);
  }

  setExternalIpv6(ref: InstanceRef, externalIpv6: string | undefined): Instance {
    const { externalIpv6: _old, ...rest } = this.record(ref).spec;
    return this.put(externalIpv6 === undefined ? { ...rest, ipv6Access: true } : { ...rest, externalIpv6, ipv6Access: true });
  }

  /** Stop: TERMINATED; the ephemeral external addresses are released (configs stay). */
  stop(ref: InstanceRef): Instance {
    const { natIP, externalIpv6, ...rest } = this.record(ref).spec;
    return this.put({
      ...rest,
      status: 'TERMINATED',
      externalAccess: natIP !== undefined || rest.externalAccess === true,
      ipv6Access: externalIpv6 !== undefined || rest.ipv6Access === true,
    });
  }

  /** Start: RUNNING with the new ephemeral addresses given (none if omitted). */
  start(ref: InstanceRef, addrs: { natIP?: string; externalIpv6?: string } = {}): Instance {
    const { natIP: _n, externalIpv6: _v6, ...rest } = this.record(ref).spec;
    return this.put({
      ...rest,
      status: 'RUNNING',
      ...(addrs.natIP !== undefined ? { natIP: addrs.natIP } : {}),
      ...(addrs.externalIpv6 !== undefined ? { externalIpv6: addrs.externalIpv6 } : {}),
    });
  }

  get(ref: InstanceRef): Instance | undefined {
    const [project, key] = this.key(ref);
    const rec = this.byProject.get(project)?.get(key);
    return rec ? structuredClone(rec.rendered) : undefined;
  }

  /** Rendered (frozen, shared) instances of a project in one zone or all zones. */
  listShared(project: string, zone?: string): { zone: string; instance: Instance }[] {
    const out: { zone: string; instance: Instance }[] = [];
    for (const rec of this.byProject.get(project)?.values() ?? []) {
      if (zone === undefined || rec.spec.zone === zone) out.push({ zone: rec.spec.zone, instance: rec.rendered });
    }
    return out;
  }

  /** Copies of the instances of one project, or of every project when omitted. */
  list(project?: string): Instance[] {
    const projects = project === undefined ? [...this.byProject.keys()] : [project];
    return projects.flatMap((p) => this.listShared(p).map((e) => structuredClone(e.instance)));
  }
}
