// JSON merge patch (RFC 7386) and JSON patch (RFC 6902, including `test`), applied to plain JSON
// the way the API server's patcher does before it runs the update path. Pure.
import { badRequest, patchRejected } from './errors.ts';
import { isObject } from './types.ts';

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

interface Op {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw patchRejected(`invalid JSON pointer "${pointer}"`);
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Record<string, unknown> | unknown[];

function resolveParent(doc: unknown, parts: string[], opName: string, pointer: string): { parent: Container; key: string } {
  let cur: unknown = doc;
  for (const part of parts.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(part)];
    else if (isObject(cur)) cur = cur[part];
    else cur = undefined;
    if (cur === undefined || cur === null) throw patchRejected(`${opName} operation does not apply: doc is missing path: "${pointer}": missing value`);
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw patchRejected(`${opName} operation does not apply: doc is missing path: "${pointer}": missing value`);
  return { parent: cur, key: parts[parts.length - 1] ?? '' };
}

function arrayIndex(arr: unknown[], key: string, forInsert: boolean, pointer: string): number {
  if (forInsert && key === '-') return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(key)) throw patchRejected(`Unable to access invalid index: ${key}`);
  const i = Number(key);
  if (i > arr.length || (!forInsert && i === arr.length)) throw patchRejected(`Unable to access invalid index: ${i} (path "${pointer}")`);
  return i;
}

function getAt(doc: unknown, pointer: string, opName: string): unknown {
  const parts = parsePointer(pointer);
  if (parts.length === 0) return doc;
  const { parent, key } = resolveParent(doc, parts, opName, pointer);
  const v = Array.isArray(parent) ? parent[arrayIndex(parent, key, false, pointer)] : parent[key];
  if (v === undefined) throw patchRejected(`${opName} operation does not apply: doc is missing key: ${pointer}: missing value`);
  return v;
}

function removeAt(doc: unknown, pointer: string, opName: string): unknown {
  const parts = parsePointer(pointer);
  const { parent, key } = resolveParent(doc, parts, opName, pointer);
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, key, false, pointer);
    return parent.splice(i, 1)[0];
  }
  if (!(key in parent)) throw patchRejected(`${opName} operation does not apply: doc is missing key: ${pointer}: missing value`);
  const v = parent[key];
  delete parent[key];
  return v;
}

function addAt(doc: unknown, pointer: string, value: unknown, replace: boolean): unknown {
  const parts = parsePointer(pointer);
  if (parts.length === 0) return value;
  const opName = replace ? 'replace' : 'add';
  const { parent, key } = resolveParent(doc, parts, opName, pointer);
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, key, !replace, pointer);
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
  } else {
    if (replace && !(key in parent)) throw patchRejected(`replace operation does not apply: doc is missing key: ${pointer}: missing value`);
    parent[key] = value;
  }
  return doc;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

export function jsonPatch(target: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let doc = structuredClone(target);
  for (const raw of patch) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw patchRejected('Unexpected kind: invalid operation');
    }
    const op = raw as unknown as Op;
    switch (op.op) {
      case 'add': doc = addAt(doc, op.path, structuredClone(op.value), false); break;
      case 'replace': doc = addAt(doc, op.path, structuredClone(op.value), true); break;
      case 'remove': removeAt(doc, op.path, 'remove'); break;
      case 'move': {
        if (typeof op.from !== 'string') throw patchRejected('move operation missing from');
        const v = removeAt(doc, op.from, 'move');
        doc = addAt(doc, op.path, v, false);
        break;
      }
      case 'copy': {
        if (typeof op.from !== 'string') throw patchRejected('copy operation missing from');
        doc = addAt(doc, op.path, structuredClone(getAt(doc, op.from, 'copy')), false);
        break;
      }
      case 'test': {
        let have: unknown;
        try {
          have = getAt(doc, op.path, 'test');
        } catch {
          have = undefined;
        }
        const want = op.value === undefined ? null : op.value;
        if (!(have === undefined && want === null) && !deepEqual(have, want)) {
          throw patchRejected(`testing value ${op.path} failed: test failed`);
        }
        break;
      }
      default:
        throw patchRejected(`Unexpected kind: ${op.op}`);
    }
  }
  return doc;
}

export { deepEqual };
