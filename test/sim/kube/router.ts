// Maps a request path to what it addresses: a discovery document, a collection (cluster-wide or
// in one namespace), one object, or its status subresource. Pure.
import { findResource, type ResourceInfo } from './resources.ts';

export type Route =
  | { kind: 'discovery'; doc: 'version' | 'api' | 'apis' | 'group' | 'healthz'; group?: string }
  | { kind: 'collection'; info: ResourceInfo; namespace: string | undefined }
  | { kind: 'item'; info: ResourceInfo; namespace: string | undefined; name: string; subresource: 'status' | undefined }
  | { kind: 'unknown' };

const UNKNOWN: Route = { kind: 'unknown' };

export function route(path: string): Route {
  const clean = path.replace(/\/+$/, '') || '/';
  if (clean === '/version') return { kind: 'discovery', doc: 'version' };
  if (clean === '/healthz' || clean === '/readyz' || clean === '/livez') return { kind: 'discovery', doc: 'healthz' };
  if (clean === '/api') return { kind: 'discovery', doc: 'api' };
  if (clean === '/apis') return { kind: 'discovery', doc: 'apis' };
  const parts = clean.split('/').slice(1).map((p) => decodeURIComponent(p));
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts[1] === 'v1') {
    group = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 3 && parts[2] === 'v1') {
    group = parts[1] ?? '';
    rest = parts.slice(3);
  } else {
    return UNKNOWN;
  }
  if (rest.length === 0) return { kind: 'discovery', doc: 'group', group };
  const [a, b, c, d, e] = rest;
  // /api/v1/namespaces/NAME/status is the namespace's own status, not a resource inside it.
  if (a === 'namespaces' && rest.length >= 3 && (group !== '' || c !== 'status')) {
    const info = findResource(group, c ?? '');
    if (!info || !info.namespaced) return UNKNOWN;
    if (rest.length === 3) return { kind: 'collection', info, namespace: b };
    if (rest.length === 4) return { kind: 'item', info, namespace: b, name: d ?? '', subresource: undefined };
    if (rest.length === 5 && e === 'status' && info.hasStatus) return { kind: 'item', info, namespace: b, name: d ?? '', subresource: 'status' };
    return UNKNOWN;
  }
  const info = findResource(group, a ?? '');
  if (!info) return UNKNOWN;
  if (rest.length === 1) return { kind: 'collection', info, namespace: undefined };
  if (info.namespaced) return UNKNOWN;
  if (rest.length === 2) return { kind: 'item', info, namespace: undefined, name: b ?? '', subresource: undefined };
  if (rest.length === 3 && c === 'status' && info.hasStatus) return { kind: 'item', info, namespace: undefined, name: b ?? '', subresource: 'status' };
  return UNKNOWN;
}

