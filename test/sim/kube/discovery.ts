// Discovery documents (/version, /api, /apis, /api/v1, /apis/<group>/v1) for the resources the
// simulated API server serves, shaped like a GKE 1.33 control plane's. Pure.
import { resourcesOfGroup } from './resources.ts';

const GROUPS = ['apps', 'discovery.k8s.io'];

export function versionDoc(): object {
  return {
    major: '1',
    minor: '33',
    emulationMajor: '1',
    emulationMinor: '33',
    minCompatibilityMajor: '1',
    minCompatibilityMinor: '32',
    gitVersion: 'v1.33.5-gke.1201000',
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2025-10-01T00:00:00Z',
    goVersion: 'go1.24.6 X:boringcrypto',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function apiVersionsDoc(serverAddress: string): object {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

export function apiGroupListDoc(): object {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: GROUPS.map((name) => ({
      name,
      versions: [{ groupVersion: `${name}/v1`, version: 'v1' }],
      preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' },
    })),
  };
}

export function resourceListDoc(group: string): object | undefined {
  if (group !== '' && !GROUPS.includes(group)) return undefined;
  const resources = resourcesOfGroup(group).flatMap((r) => {
    const verbs = r.resource === 'pods' ? ['delete', 'get', 'list'] : ['create', 'delete', 'get', 'list', 'patch', 'update'];
    const main = { name: r.resource, singularName: r.kind.toLowerCase(), namespaced: r.namespaced, kind: r.kind, verbs, shortNames: r.shortNames.length > 0 ? r.shortNames : undefined };
    return r.hasStatus && r.resource !== 'pods'
      ? [main, { name: `${r.resource}/status`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'patch', 'update'] }]
      : [main];
  });
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group === '' ? 'v1' : `${group}/v1`, resources };
}
