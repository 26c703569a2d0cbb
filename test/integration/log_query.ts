// Test support (no test of its own): an evaluator for the subset of the Cloud Logging query
// language that nodelb's metric filters and documented queries use, EXTRACT() as logs-based metrics
// apply it, and Cloud Run's mapping of a structured stdout line to a LogEntry, so the filters can
// run over the lines a real sync writes. Anything outside the subset throws. Pure.
import { LABELS_FIELD, type LogEntry } from '../../functions/platform/log.ts';

/** A LogEntry as Cloud Logging stores a structured stdout line of a Cloud Run service. */
export interface CloudLogEntry {
  logName: string;
  resource: { type: string; labels: Record<string, string> };
  severity: string;
  timestamp: string;
  labels: Record<string, string>;
  jsonPayload: Record<string, unknown>;
}

/** Cloud Run's structured logging: severity, time and logging.googleapis.com/labels become
 *  LogEntry fields; everything else, message included, stays in jsonPayload. */
export function cloudRunEntry(line: LogEntry, service: string, project = 'my-project'): CloudLogEntry {
  const { severity, time, [LABELS_FIELD]: labels, ...jsonPayload } = line;
  return {
    logName: `projects/${project}/logs/run.googleapis.com%2Fstdout`,
    resource: { type: 'cloud_run_revision', labels: { project_id: project, service_name: service, revision_name: `${service}-00001-abc`, location: 'us-central1', configuration_name: service } },
    severity,
    timestamp: time,
    labels: labels ?? {},
    jsonPayload,
  };
}

type Op = '=' | '!=' | ':' | '=~' | '!~' | '<' | '<=' | '>' | '>=';
type Node =
  | { kind: 'and' | 'or'; terms: Node[] }
  | { kind: 'not'; term: Node }
  | { kind: 'cmp'; path: string[]; op: Op; value: string };

type Token = { t: 'str' | 'word' | 'op' | '(' | ')'; v: string };

const OPS: Op[] = ['!=', '=~', '!~', '<=', '>=', '=', ':', '<', '>'];

function tokenize(q: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      out.push({ t: c, v: c });
      i++;
    } else if (c === '"') {
      let s = '';
      i++;
      for (;;) {
        if (i >= q.length) throw new Error(`unterminated string in: ${q}`);
        const d = q[i]!;
        if (d === '\\') {
          s += q[i + 1] ?? '';
          i += 2;
        } else if (d === '"') {
          i++;
          break;
        } else {
          s += d;
          i++;
        }
      }
      out.push({ t: 'str', v: s });
    } else {
      const op = OPS.find((o) => q.startsWith(o, i));
      if (op) {
        out.push({ t: 'op', v: op });
        i += op.length;
        continue;
      }
      const m = /^[A-Za-z0-9_.\-/@%]+/.exec(q.slice(i));
      if (!m) throw new Error(`unexpected "${c}" at ${i} in: ${q}`);
      out.push({ t: 'word', v: m[0] });
      i += m[0].length;
    }
  }
  return out;
}

/** Parses a query. AND may be implicit (adjacent terms); AND and OR mixed at one level must be
 *  parenthesized, so no query here depends on the language's precedence rules. */
export function parseQuery(q: string): Node {
  const toks = tokenize(q);
  let p = 0;
  const peek = () => toks[p];
  const next = () => {
    const t = toks[p++];
    if (!t) throw new Error(`unexpected end of: ${q}`);
    return t;
  };

  function sequence(): Node {
    const terms = [term()];
    let joiner: 'and' | 'or' | undefined;
    for (;;) {
      const t = peek();
      if (!t || t.t === ')') break;
      let j: 'and' | 'or' = 'and';
      if (t.t === 'word' && (t.v === 'AND' || t.v === 'OR')) {
        j = t.v === 'AND' ? 'and' : 'or';
        p++;
      }
      if (joiner && joiner !== j) throw new Error(`AND and OR mixed without parentheses in: ${q}`);
      joiner = j;
      terms.push(term());
    }
    return terms.length === 1 ? terms[0]! : { kind: joiner ?? 'and', terms };
  }

  function term(): Node {
    const t = next();
    if (t.t === 'word' && t.v === 'NOT') return { kind: 'not', term: term() };
    if (t.t === '(') {
      const inner = sequence();
      if (next().t !== ')') throw new Error(`missing ) in: ${q}`);
      return inner;
    }
    if (t.t !== 'word' || ['AND', 'OR'].includes(t.v)) throw new Error(`expected a field name, got "${t.v}" in: ${q}`);
    const op = next();
    if (op.t !== 'op') throw new Error(`expected an operator after ${t.v}, got "${op.v}" in: ${q}`);
    const value = next();
    if (value.t !== 'str' && value.t !== 'word') throw new Error(`expected a value after ${t.v}${op.v} in: ${q}`);
    return { kind: 'cmp', path: t.v.split('.'), op: op.v as Op, value: value.v };
  }

  const node = sequence();
  if (p !== toks.length) throw new Error(`unexpected "${toks[p]?.v}" in: ${q}`);
  return node;
}

/** Every value at the path; repeated fields contribute each element. */
export function valuesAt(entry: unknown, path: readonly string[]): unknown[] {
  let cur: unknown[] = [entry];
  for (const key of path) {
    const nextValues: unknown[] = [];
    for (const v of cur) {
      if (v === null || typeof v !== 'object') continue;
      const child = (v as Record<string, unknown>)[key];
      if (Array.isArray(child)) nextValues.push(...child);
      else if (child !== undefined) nextValues.push(child);
    }
    cur = nextValues;
  }
  return cur;
}

const SEVERITY = ['DEFAULT', 'DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL', 'ALERT', 'EMERGENCY'];
const text = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v));

function compare(path: string[], v: unknown, op: Op, want: string): boolean {
  const got = text(v);
  switch (op) {
    case '=':
      return got.toLowerCase() === want.toLowerCase();
    case '!=':
      return got.toLowerCase() !== want.toLowerCase();
    case ':':
      return got.toLowerCase().includes(want.toLowerCase());
    case '=~':
      return new RegExp(want).test(got);
    case '!~':
      return !new RegExp(want).test(got);
    default: {
      const [a, b] =
        path.join('.') === 'severity'
          ? [SEVERITY.indexOf(got.toUpperCase()), SEVERITY.indexOf(want.toUpperCase())]
          : typeof v === 'number'
            ? [v, Number(want)]
            : [got, want];
      if (op === '<') return a < b;
      if (op === '<=') return a <= b;
      if (op === '>') return a > b;
      return a >= b;
    }
  }
}

function evaluate(node: Node, entry: CloudLogEntry): boolean {
  switch (node.kind) {
    case 'and':
      return node.terms.every((n) => evaluate(n, entry));
    case 'or':
      return node.terms.some((n) => evaluate(n, entry));
    case 'not':
      return !evaluate(node.term, entry);
    case 'cmp':
      return valuesAt(entry, node.path).some((v) => compare(node.path, v, node.op, node.value));
  }
}

export function matches(query: string, entry: CloudLogEntry): boolean {
  return evaluate(parseQuery(query), entry);
}

/** EXTRACT(field) as a logs-based metric applies it; undefined when the field is absent. */
export function extract(extractor: string, entry: CloudLogEntry): unknown {
  const m = /^EXTRACT\(([A-Za-z0-9_.]+)\)$/.exec(extractor);
  if (!m) throw new Error(`unsupported extractor: ${extractor}`);
  return valuesAt(entry, m[1]!.split('.'))[0];
}
