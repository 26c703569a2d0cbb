// List semantics over a table: namespace scoping, label and field selectors, limit/continue
// pagination with opaque tokens that expire like compacted revisions. Pure.
import { badRequest, expired } from './errors.ts';
import { matchesFields, matchesLabels, type FieldRequirement, type LabelSelector } from './selectors.ts';
import type { ResourceInfo } from './resources.ts';
import type { Table } from './store.ts';
import { isObject, type WireObject } from './types.ts';

/** etcd compacts every 5 minutes; a continue token older than that answers 410 Expired. */
export const CONTINUE_TTL_MS = 5 * 60 * 1000;

export interface ContinueToken {
  rv: number;
  after: string; // key of the last item served
  issuedMs: number;
}

export function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: t.rv, start: `${t.after}\u0000`, t: t.issuedMs })).toString('base64url');
}

export function decodeContinue(text: string, nowMs: number): ContinueToken {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw badRequest('continue key is not valid: illegal base64 data');
  }
  if (!isObject(parsed) || parsed.v !== 'meta.k8s.io/v1' || typeof parsed.rv !== 'number' || typeof parsed.start !== 'string' || typeof parsed.t !== 'number') {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  if (nowMs - parsed.t > CONTINUE_TTL_MS) {
    throw expired(
      'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
    );
  }
  return { rv: parsed.rv, after: parsed.start.endsWith("\u0000") ? parsed.start.slice(0, -1) : parsed.start, issuedMs: parsed.t };
}

/** The value a field selector compares, for the fields each resource supports. */
export function fieldValue(info: ResourceInfo, obj: WireObject, field: string): string {
  if (info.resource === 'nodes' && field === 'spec.unschedulable') {
    return String((obj.spec as { unschedulable?: boolean } | undefined)?.unschedulable === true);
  }
  if (info.resource === 'events' && field === 'source') {
    return String((obj.source as { component?: string } | undefined)?.component ?? '');
  }
  let cur: unknown = obj;
  for (const part of field.split('.')) {
    cur = isObject(cur) ? cur[part] : undefined;
  }
  return cur === undefined || cur === null ? '' : String(cur);
}

export interface ListQuery {
  namespace: string | undefined;
  labels: LabelSelector;
  fields: FieldRequirement[];
  limit: number; // 0: no limit
  after: string | undefined;
}

export interface ListPage {
  items: string[];
  lastKey: string | undefined;
  more: boolean;
}

export function listTable(info: ResourceInfo, table: Table, q: ListQuery): ListPage {
  const keys = table.keys();
  const prefix = q.namespace !== undefined && info.namespaced ? `${q.namespace}/` : '';
  let i = q.after !== undefined && q.after >= prefix ? table.lowerBound(q.after, true) : table.lowerBound(prefix, false);
  const items: string[] = [];
  let lastKey: string | undefined;
  for (; i < keys.length; i++) {
    const key = keys[i] ?? '';
    if (prefix !== '' && !key.startsWith(prefix)) break;
    const entry = table.get(key);
    if (!entry) continue;
    const obj = entry.obj;
    if (q.labels.length > 0 && !matchesLabels(obj.metadata.labels, q.labels)) continue;
    if (q.fields.length > 0 && !matchesFields((f) => fieldValue(info, obj, f), q.fields)) continue;
    if (q.limit > 0 && items.length >= q.limit) return { items, lastKey, more: true };
    items.push(table.json(entry));
    lastKey = key;
  }
  return { items, lastKey, more: false };
}
