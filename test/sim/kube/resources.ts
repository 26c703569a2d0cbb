// The resources the simulated API server serves: names, group/version, scope, list kind,
// subresources and supported field selectors, as the real discovery documents describe them. Pure.
import type { NameRule } from './validation_meta.ts';

export type ResourceName = 'namespaces' | 'nodes' | 'services' | 'pods' | 'events' | 'endpointslices' | 'daemonsets';

export interface ResourceInfo {
  resource: ResourceName;
  kind: string;
  listKind: string;
  group: string; // '' for core
  version: 'v1';
  apiVersion: string; // "v1", "apps/v1"
  namespaced: boolean;
  hasStatus: boolean;
  nameRule: NameRule;
  /** PUT on a missing object creates it (events only, among these). */
  allowCreateOnUpdate: boolean;
  /** DELETE answers with the deleted object instead of a success Status. */
  returnDeletedObject: boolean;
  fieldSelectors: readonly string[];
  shortNames: readonly string[];
}

const META = ['metadata.name', 'metadata.namespace'] as const;

function info(r: Omit<ResourceInfo, 'version' | 'apiVersion' | 'listKind'>): ResourceInfo {
  return { ...r, version: 'v1', apiVersion: r.group === '' ? 'v1' : `${r.group}/v1`, listKind: `${r.kind}List` };
}

export const RESOURCES: Record<ResourceName, ResourceInfo> = {
  namespaces: info({ resource: 'namespaces', kind: 'Namespace', group: '', namespaced: false, hasStatus: true, nameRule: 'dns1123Label', allowCreateOnUpdate: false, returnDeletedObject: true, fieldSelectors: [...META, 'status.phase'], shortNames: ['ns'] }),
  nodes: info({ resource: 'nodes', kind: 'Node', group: '', namespaced: false, hasStatus: true, nameRule: 'dns1123Subdomain', allowCreateOnUpdate: false, returnDeletedObject: false, fieldSelectors: [...META, 'spec.unschedulable'], shortNames: ['no'] }),
  services: info({ resource: 'services', kind: 'Service', group: '', namespaced: true, hasStatus: true, nameRule: 'dns1035Label', allowCreateOnUpdate: false, returnDeletedObject: true, fieldSelectors: [...META, 'spec.clusterIP', 'spec.type'], shortNames: ['svc'] }),
  pods: info({ resource: 'pods', kind: 'Pod', group: '', namespaced: true, hasStatus: true, nameRule: 'dns1123Subdomain', allowCreateOnUpdate: false, returnDeletedObject: true, fieldSelectors: [...META, 'spec.nodeName', 'status.phase', 'spec.hostNetwork', 'status.podIP'], shortNames: ['po'] }),
  events: info({ resource: 'events', kind: 'Event', group: '', namespaced: true, hasStatus: false, nameRule: 'pathSegment', allowCreateOnUpdate: true, returnDeletedObject: false, fieldSelectors: [...META, 'involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'], shortNames: ['ev'] }),
  endpointslices: info({ resource: 'endpointslices', kind: 'EndpointSlice', group: 'discovery.k8s.io', namespaced: true, hasStatus: false, nameRule: 'dns1123Subdomain', allowCreateOnUpdate: false, returnDeletedObject: false, fieldSelectors: [...META], shortNames: [] }),
  daemonsets: info({ resource: 'daemonsets', kind: 'DaemonSet', group: 'apps', namespaced: true, hasStatus: true, nameRule: 'dns1123Subdomain', allowCreateOnUpdate: false, returnDeletedObject: false, fieldSelectors: [...META], shortNames: ['ds'] }),
};

/** Resources per API group path: "" → /api/v1, "apps" → /apis/apps/v1. */
export function resourcesOfGroup(group: string): ResourceInfo[] {
  return Object.values(RESOURCES).filter((r) => r.group === group);
}

export function findResource(group: string, name: string): ResourceInfo | undefined {
  const r = (RESOURCES as Record<string, ResourceInfo | undefined>)[name];
  return r !== undefined && r.group === group ? r : undefined;
}
