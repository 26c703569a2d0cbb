// GCE list `filter` expressions, compiled to a predicate (pure). Two forms, never mixed:
//  - regular-expression form: `field eq|ne literal` alone, or several parenthesised
//    `(field eq literal) (field2 ne "literal")` ANDed; the literal is an RE2 regex that must match
//    the whole field;
//  - AIP-160 form: `field = value`, `!=`, `<`, `<=`, `>`, `>=`, `field:*` (presence) and
//    `field:value` (element of a repeated field), combined with AND, OR, NOT, implicit AND and
//    parentheses (OR binds tighter than AND, as AIP-160 says).
// Anything else is a 400, never silently ignored.
import { GoogleApiError, invalidField } from './errors.ts';

export type Predicate = (resource: object) => boolean;

function bad(filter: string, why = ''): GoogleApiError {
  return invalidField('filter', filter, `Invalid list filter expression.${why ? ` ${why}` : ''}`);
}

function resolve(resource: object, path: string): unknown {
  let cur: unknown = resource;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function checkField(filter: string, field: string, known: ReadonlySet<string>): void {
  const top = field.split('.')[0] ?? '';
  if (!/^[A-Za-z_][\w.-]*$/.test(field) || !known.has(top)) throw bad(filter, `Unknown field '${field}'.`);
}

function unquote(s: string): string {
  const t = s.trim();
  if (t.length >= 2 && ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'")))) return t.slice(1, -1);
  return t;
}

function compileRegex(filter: string, literal: string): RegExp {
  // RE2 has no lookaround and no backreferences; JS would accept them, GCE would not.
  if (/\(\?<?[=!]|\\[1-9]/.test(literal)) throw bad(filter, 'The regular expression is not valid RE2 syntax.');
  try {
    return new RegExp(`^(?:${literal})$`);
  } catch {
    throw bad(filter, 'The regular expression is not valid RE2 syntax.');
  }
}

function scalarText(filter: string, field: string, v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object') throw bad(filter, `Field '${field}' is not a scalar; the simulator filters only scalar fields with this operator.`);
  return String(v);
}

// ---------- regular-expression form ----------

const REGEX_TERM = /^\s*([A-Za-z_][\w.-]*)\s+(eq|ne)\s+([\s\S]*?)\s*$/;

/** Splits `(a) (b) (c)` into its top-level groups, or returns undefined when it is not that shape. */
function topLevelGroups(text: string): string[] | undefined {
  const groups: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === undefined) break;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c !== '(') return undefined;
    let depth = 0;
    let quote: string | undefined;
    const start = i;
    for (; i < text.length; i++) {
      const ch = text[i];
      if (quote) {
        if (ch === '\\') i++;
        else if (ch === quote) quote = undefined;
        continue;
      }
      if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '(') depth++;
      else if (ch === ')' && --depth === 0) break;
    }
    if (depth !== 0) return undefined;
    groups.push(text.slice(start + 1, i));
    i++;
  }
  return groups;
}

function regexTerm(filter: string, text: string, known: ReadonlySet<string>): Predicate | undefined {
  const m = REGEX_TERM.exec(text);
  if (!m) return undefined;
  const [, field = '', op, literal = ''] = m;
  checkField(filter, field, known);
  // An unquoted literal that reads like a second condition is a caller's bug, not a regex.
  if (!/^["']/.test(literal) && /\s(AND|OR|eq|ne)\s/.test(` ${literal} `)) {
    throw bad(filter, 'Combine regular-expression conditions as parenthesised terms: (a eq x) (b eq y).');
  }
  const re = compileRegex(filter, unquote(literal));
  const negate = op === 'ne';
  return (r) => {
    const v = scalarText(filter, field, resolve(r, field));
    if (v === undefined) return negate;
    return re.test(v) !== negate;
  };
}

function compileRegexForm(filter: string, known: ReadonlySet<string>): Predicate | undefined {
  const trimmed = filter.trim();
  if (!trimmed.startsWith('(')) return regexTerm(filter, trimmed, known);
  const groups = topLevelGroups(trimmed);
  if (!groups || groups.length === 0) return undefined;
  const preds = groups.map((g) => regexTerm(filter, g, known));
  const regexCount = preds.filter((p) => p !== undefined).length;
  if (regexCount === 0) return undefined;
  if (regexCount !== preds.length) throw bad(filter, 'Regular expression and AIP-160 filters cannot be mixed.');
  const all = preds as Predicate[];
  return (r) => all.every((p) => p(r));
}

// ---------- AIP-160 form ----------

type Token = { kind: 'word' | 'string' | 'op' | '(' | ')'; text: string };

function tokenize(filter: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < filter.length) {
    const c = filter[i] ?? '';
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      out.push({ kind: c, text: c });
      i++;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      let text = '';
      while (j < filter.length && filter[j] !== c) {
        if (filter[j] === '\\' && j + 1 < filter.length) j++;
        text += filter[j];
        j++;
      }
      if (j >= filter.length) throw bad(filter, 'Unterminated string.');
      out.push({ kind: 'string', text });
      i = j + 1;
    } else if ('=!<>:'.includes(c)) {
      const two = filter.slice(i, i + 2);
      if (two === '!=' || two === '<=' || two === '>=') {
        out.push({ kind: 'op', text: two });
        i += 2;
      } else if (c === '!') {
        throw bad(filter);
      } else {
        out.push({ kind: 'op', text: c });
        i++;
      }
    } else {
      let j = i;
      while (j < filter.length && !/[\s()"'=!<>:]/.test(filter[j] ?? '')) j++;
      out.push({ kind: 'word', text: filter.slice(i, j) });
      i = j;
    }
  }
  return out;
}

function compareScalar(op: string, actual: string, literal: string): boolean {
  const a = Number(actual);
  const b = Number(literal);
  const numeric = actual.trim() !== '' && literal.trim() !== '' && !Number.isNaN(a) && !Number.isNaN(b);
  const cmp = numeric ? Math.sign(a - b) : actual < literal ? -1 : actual > literal ? 1 : 0;
  switch (op) {
    case '<':
      return cmp < 0;
    case '<=':
      return cmp <= 0;
    case '>':
      return cmp > 0;
    default:
      return cmp >= 0;
  }
}

function comparison(filter: string, field: string, op: string, literal: string): Predicate {
  if ((op === '=' || op === '!=') && literal.includes('*')) {
    throw bad(filter, 'Wildcards in values are not supported by the simulator.');
  }
  if (op === ':') {
    return (r) => {
      const v = resolve(r, field);
      if (literal === '*') return v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);
      if (Array.isArray(v)) return v.some((e) => String(e) === literal);
      if (v !== null && typeof v === 'object') return literal in v;
      return v !== undefined && String(v) === literal;
    };
  }
  return (r) => {
    const v = scalarText(filter, field, resolve(r, field));
    if (op === '=') return v === literal;
    if (op === '!=') return v !== literal;
    return v !== undefined && compareScalar(op, v, literal);
  };
}

function compileAip160(filter: string, known: ReadonlySet<string>): Predicate {
  const tokens = tokenize(filter);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const next = (): Token => {
    const t = tokens[pos++];
    if (!t) throw bad(filter);
    return t;
  };

  function primary(): Predicate {
    const t = next();
    if (t.kind === '(') {
      const inner = andExpr();
      if (next().kind !== ')') throw bad(filter);
      return inner;
    }
    if (t.kind === 'word' && t.text === 'NOT') {
      const inner = primary();
      return (r) => !inner(r);
    }
    if (t.kind !== 'word') throw bad(filter);
    const opTok = next();
    if (opTok.kind === 'word' && (opTok.text === 'eq' || opTok.text === 'ne')) {
      throw bad(filter, 'Regular expression and AIP-160 filters cannot be mixed.');
    }
    if (opTok.kind !== 'op') throw bad(filter);
    const value = next();
    if (value.kind !== 'word' && value.kind !== 'string') throw bad(filter);
    checkField(filter, t.text, known);
    return comparison(filter, t.text, opTok.text, value.text);
  }

  function orExpr(): Predicate {
    const parts = [primary()];
    while (peek()?.kind === 'word' && peek()?.text === 'OR') {
      pos++;
      parts.push(primary());
    }
    return parts.length === 1 ? (parts[0] as Predicate) : (r) => parts.some((p) => p(r));
  }

  function andExpr(): Predicate {
    const parts = [orExpr()];
    for (;;) {
      const t = peek();
      if (!t || t.kind === ')') break;
      if (t.kind === 'word' && t.text === 'AND') pos++;
      parts.push(orExpr());
    }
    return parts.length === 1 ? (parts[0] as Predicate) : (r) => parts.every((p) => p(r));
  }

  if (tokens.length === 0) return () => true;
  const pred = andExpr();
  if (pos !== tokens.length) throw bad(filter);
  return pred;
}

/** Compiles a filter over resources whose top-level field names are `known`. Empty: all match. */
export function compileFilter(filter: string | null | undefined, known: ReadonlySet<string>): Predicate {
  if (filter === null || filter === undefined || filter.trim() === '') return () => true;
  return compileRegexForm(filter, known) ?? compileAip160(filter, known);
}
