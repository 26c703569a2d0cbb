// Which projects, networks and zones exist in the simulated GCE (pure, in-memory state).
// Networks are only used to validate a firewall's `network`; a firewall must live in the
// project that owns the network (Shared VPC rules are written in the host project).
import { COMPUTE_URL } from './ids.ts';
import { GoogleApiError, invalidField, notFound } from './errors.ts';

export const DEFAULT_ZONES = ['us-central1-a', 'us-central1-b', 'us-central1-c', 'us-central1-f'];

export interface NetworkRef {
  project: string;
  name: string;
}

export function networkUrl(ref: NetworkRef): string {
  return `${COMPUTE_URL}/projects/${ref.project}/global/networks/${ref.name}`;
}

const NETWORK_REF = /^(?:(?:https?:\/\/(?:www|compute)\.googleapis\.com\/compute\/(?:v1|beta|alpha)\/)?projects\/([^/]+)\/)?global\/networks\/([^/]+)$/;

/** Full URL, `projects/p/global/networks/n` or `global/networks/n` (relative to `project`). */
export function parseNetworkRef(value: string, project: string): NetworkRef | undefined {
  const m = NETWORK_REF.exec(value);
  if (!m || !m[2]) return undefined;
  return { project: m[1] ?? project, name: m[2] };
}

export class ProjectRegistry {
  private readonly networksByProject = new Map<string, Set<string>>();
  private readonly zonesByProject = new Map<string, Set<string>>();

  addProject(project: string, opts: { defaultNetwork?: boolean; zones?: string[] } = {}): void {
    if (!this.networksByProject.has(project)) this.networksByProject.set(project, new Set());
    if (!this.zonesByProject.has(project)) this.zonesByProject.set(project, new Set(opts.zones ?? DEFAULT_ZONES));
    else for (const z of opts.zones ?? []) this.zonesByProject.get(project)?.add(z);
    if (opts.defaultNetwork ?? true) this.networksByProject.get(project)?.add('default');
  }

  has(project: string): boolean {
    return this.networksByProject.has(project);
  }

  /** Throws GCE's 404 for a project the simulator does not know. */
  require(project: string): void {
    if (!this.has(project)) throw notFound(`projects/${project}`);
  }

  projects(): string[] {
    return [...this.networksByProject.keys()].sort();
  }

  addNetwork(project: string, name: string): void {
    this.addProject(project, { defaultNetwork: false });
    this.networksByProject.get(project)?.add(name);
  }

  removeNetwork(project: string, name: string): boolean {
    return this.networksByProject.get(project)?.delete(name) ?? false;
  }

  networks(project: string): string[] {
    return [...(this.networksByProject.get(project) ?? [])].sort();
  }

  hasNetwork(ref: NetworkRef): boolean {
    return this.networksByProject.get(ref.project)?.has(ref.name) ?? false;
  }

  addZone(project: string, zone: string): void {
    this.addProject(project, { defaultNetwork: false });
    this.zonesByProject.get(project)?.add(zone);
  }

  zones(project: string): string[] {
    return [...(this.zonesByProject.get(project) ?? [])].sort();
  }

  /** Resolves and checks a firewall's network reference; returns its full URL. */
  resolveFirewallNetwork(value: unknown, project: string): string {
    const field = 'resource.network';
    if (typeof value !== 'string') throw invalidField(field, value, 'The URL is malformed.');
    const ref = parseNetworkRef(value, project);
    if (!ref) throw invalidField(field, value, 'The URL is malformed.');
    if (ref.project !== project) {
      throw new GoogleApiError(400, `Invalid value for field '${field}': '${value}'. Cross-project references for this resource type are not allowed.`, 'invalid');
    }
    if (!this.hasNetwork(ref)) throw notFound(`projects/${ref.project}/global/networks/${ref.name}`);
    return networkUrl(ref);
  }
}
