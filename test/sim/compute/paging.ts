// List paging as GCE does it (pure): `maxResults` 0–500 (default 500), an opaque `pageToken`
// that resumes after the last item of the previous page (so items added or removed between pages
// do not shift the window), and `orderBy` limited to `name` and `creationTimestamp desc`.
import { invalidField } from './errors.ts';

export const MAX_RESULTS_LIMIT = 500;

export interface PageRequest {
  maxResults: number;
  after?: string[]; // sort key of the last item already returned
}

export interface Page<T> {
  items: T[];
  nextPageToken?: string;
}

export function parseMaxResults(raw: string | null): number {
  if (raw === null || raw === '') return MAX_RESULTS_LIMIT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw invalidField('maxResults', raw, 'Must be a non-negative integer.');
  if (n > MAX_RESULTS_LIMIT) throw invalidField('maxResults', raw, `Must be less than or equal to ${MAX_RESULTS_LIMIT}.`);
  return n === 0 ? MAX_RESULTS_LIMIT : n;
}

/** A page token is bound to the query it came from; reusing it with another one is a 400. */
function querySignature(parts: (string | null)[]): string {
  return parts.map((p) => p ?? '').join('\u0000');
}

export function parsePageRequest(query: URLSearchParams, scope: string): PageRequest {
  const maxResults = parseMaxResults(query.get('maxResults'));
  const raw = query.get('pageToken');
  if (raw === null || raw === '') return { maxResults };
  try {
    const decoded = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { s: string; k: string[] };
    if (decoded.s !== querySignature([scope, query.get('filter'), query.get('orderBy')]) || !Array.isArray(decoded.k)) throw new Error('mismatch');
    return { maxResults, after: decoded.k };
  } catch {
    throw invalidField('pageToken', raw, 'The page token is invalid or does not belong to this query.');
  }
}

export type SortKey<T> = (item: T) => string[];

export function orderKey<T extends { name?: string | null; creationTimestamp?: string | null }>(
  orderBy: string | null,
  prefix: (item: T) => string[] = () => [],
): { key: SortKey<T>; descending: boolean } {
  const o = (orderBy ?? '').trim();
  if (o === '' || o === 'name') return { key: (i) => [...prefix(i), i.name ?? ''], descending: false };
  if (o === 'creationTimestamp desc') return { key: (i) => [...prefix(i), i.creationTimestamp ?? '', i.name ?? ''], descending: true };
  throw invalidField('orderBy', o, "Only 'name' and 'creationTimestamp desc' are supported.");
}

function compareKeys(a: string[], b: string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Sorts, skips past `after`, cuts one page, and mints the token for the next one. */
export function paginate<T>(
  items: T[],
  req: PageRequest,
  order: { key: SortKey<T>; descending: boolean },
  query: URLSearchParams,
  scope: string,
): Page<T> {
  const dir = order.descending ? -1 : 1;
  const keyed = items.map((item) => ({ item, k: order.key(item) }));
  keyed.sort((a, b) => dir * compareKeys(a.k, b.k));
  const after = req.after;
  const start = after === undefined ? 0 : keyed.findIndex((e) => dir * compareKeys(e.k, after) > 0);
  const from = start < 0 ? keyed.length : start;
  const slice = keyed.slice(from, from + req.maxResults);
  const page: Page<T> = { items: slice.map((e) => e.item) };
  const last = slice[slice.length - 1];
  if (last && from + slice.length < keyed.length) {
    const token = { s: querySignature([scope, query.get('filter'), query.get('orderBy')]), k: last.k };
    page.nextPageToken = Buffer.from(JSON.stringify(token)).toString('base64url');
  }
  return page;
}
