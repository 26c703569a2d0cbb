// Google "partial response": the `fields` system parameter (e.g. `items/*/instances(name,status)`,
// `nextPageToken,items(name,allowed)`) keeps only the selected fields of a JSON answer (pure).
// `*` selects every key of an object (how maps such as aggregated-list `items` are walked).
import { GoogleApiError } from './errors.ts';

/** A selection tree: a key maps to its sub-selection, or to `true` for "the whole value". */
export type Selection = Map<string, Selection | true>;

export function parseFields(spec: string): Selection {
  let pos = 0;
  const fail = (): never => {
    throw new GoogleApiError(400, `Invalid field selection ${spec}`, 'invalidParameter');
  };

  function merge(into: Selection, key: string, sub: Selection | true): void {
    const have = into.get(key);
    if (have === true || sub === true) into.set(key, true);
    else if (have === undefined) into.set(key, sub);
    else for (const [k, v] of sub) merge(have, k, v);
  }

  // list := path (',' path)* ; path := name ('/' path | '(' list ')')?
  function list(stopAtParen: boolean): Selection {
    const out: Selection = new Map();
    for (;;) {
      const [key, sub] = path();
      merge(out, key, sub);
      if (pos >= spec.length) {
        if (stopAtParen) fail();
        return out;
      }
      const c = spec[pos];
      if (c === ',') {
        pos++;
        continue;
      }
      if (c === ')' && stopAtParen) {
        pos++;
        return out;
      }
      fail();
    }
  }

  function path(): [string, Selection | true] {
    const start = pos;
    while (pos < spec.length && /[A-Za-z0-9_*$.-]/.test(spec[pos] ?? '')) pos++;
    const name = spec.slice(start, pos).trim();
    if (name === '') fail();
    if (spec[pos] === '/') {
      pos++;
      const [k, v] = path();
      return [name, new Map([[k, v]])];
    }
    if (spec[pos] === '(') {
      pos++;
      return [name, list(true)];
    }
    return [name, true];
  }

  const trimmed = spec.replace(/\s+/g, '');
  if (trimmed === '') fail();
  spec = trimmed;
  return list(false);
}

function isEmptyObject(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;
}

/** Applies a selection to a JSON value; arrays are projected element by element. */
export function project(value: unknown, sel: Selection): unknown {
  if (Array.isArray(value)) return value.map((v) => project(v, sel));
  if (value === null || typeof value !== 'object') return value;
  const src = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, sub] of sel) {
    const keys = key === '*' ? Object.keys(src) : [key];
    for (const k of keys) {
      if (!(k in src)) continue;
      const picked = sub === true ? src[k] : project(src[k], sub);
      // A sub-selection that matched nothing leaves no empty object behind.
      if (sub !== true && isEmptyObject(picked)) continue;
      // Merging matters when `*` and a named key both select parts of the same child.
      const prev = out[k];
      out[k] = prev && typeof prev === 'object' && picked && typeof picked === 'object' && !Array.isArray(prev) ? { ...prev, ...picked } : picked;
    }
  }
  return out;
}
