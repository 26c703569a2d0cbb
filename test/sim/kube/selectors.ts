// Label selectors (query-string syntax and metav1.LabelSelector objects) and field selectors,
// parsed and matched as k8s.io/apimachinery/pkg/labels and pkg/fields do. Pure.
import { badRequest } from './errors.ts';
import { labelValue, qualifiedName } from './validation_primitives.ts';
import type { WireLabelSelector } from './types.ts';

export type Operator = 'in' | 'notin' | 'exists' | '!' | '=' | '!=' | 'gt' | 'lt';

export interface Requirement {
  key: string;
  op: Operator;
  values: string[];
}

export type LabelSelector = Requirement[]; // ANDed; empty matches everything

type Token = { kind: 'id' | 'op' | '(' | ')' | ',' | '!'; text: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === ' ' || c === '\t') { i++; continue; }
    if (c === '(' || c === ')' || c === ',') { tokens.push({ kind: c, text: c }); i++; continue; }
    if (c === '!' && text[i + 1] === '=') { tokens.push({ kind: 'op', text: '!=' }); i += 2; continue; }
    if (c === '!') { tokens.push({ kind: '!', text: '!' }); i++; continue; }
    if (c === '=' && text[i + 1] === '=') { tokens.push({ kind: 'op', text: '==' }); i += 2; continue; }
    if (c === '=' || c === '>' || c === '<') { tokens.push({ kind: 'op', text: c }); i++; continue; }
    let j = i;
    while (j < text.length && !' \t(),!=<>'.includes(text[j] ?? '')) j++;
    tokens.push({ kind: 'id', text: text.slice(i, j) });
    i = j;
  }
  return tokens;
}

function parseError(detail: string): Error {
  return badRequest(`unable to parse requirement: ${detail}`);
}

function checkKey(key: string): void {
  const errs = qualifiedName(key);
  if (errs.length > 0) throw parseError(`key: Invalid value: ${JSON.stringify(key)}: ${errs.join('; ')}`);
}

function checkValue(key: string, value: string, index: number): void {
  const errs = labelValue(value);
  if (errs.length > 0) throw parseError(`values[${index}][${key}]: Invalid value: ${JSON.stringify(value)}: ${errs.join('; ')}`);
}

/** Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h,i>3`; throws a 400 KubeError when malformed. */
export function parseLabelSelector(text: string): LabelSelector {
  const tokens = tokenize(text);
  const reqs: Requirement[] = [];
  let p = 0;
  const peek = (): Token | undefined => tokens[p];
  const next = (): Token | undefined => tokens[p++];
  while (p < tokens.length) {
    let t = next();
    if (t === undefined) break;
    if (t.kind === '!') {
      const key = next();
      if (key?.kind !== 'id') throw parseError(`found '${key?.text ?? ''}', expected: identifier after '!'`);
      checkKey(key.text);
      reqs.push({ key: key.text, op: '!', values: [] });
    } else if (t.kind === 'id') {
      const key = t.text;
      checkKey(key);
      const op = peek();
      if (op === undefined || op.kind === ',') {
        reqs.push({ key, op: 'exists', values: [] });
      } else if (op.kind === 'op') {
        p++;
        const value = peek()?.kind === 'id' ? (next()?.text ?? '') : '';
        if (op.text === '>' || op.text === '<') {
          if (!/^-?\d+$/.test(value)) throw parseError(`for 'Gt', 'Lt' operators, the value must be an integer`);
          reqs.push({ key, op: op.text === '>' ? 'gt' : 'lt', values: [value] });
        } else {
          checkValue(key, value, 0);
          reqs.push({ key, op: op.text === '!=' ? '!=' : '=', values: [value] });
        }
      } else if (op.kind === 'id' && (op.text === 'in' || op.text === 'notin')) {
        p++;
        if (next()?.kind !== '(') throw parseError(`found '${tokens[p - 1]?.text ?? ''}', expected: '('`);
        const values: string[] = [];
        for (;;) {
          t = next();
          if (t === undefined) throw parseError(`found '', expected: ')'`);
          if (t.kind === ')') break;
          if (t.kind === ',') {
            if (peek()?.kind === ',' || peek()?.kind === ')') values.push('');
            continue;
          }
          if (t.kind !== 'id') throw parseError(`found '${t.text}', expected: ',', ')' or identifier`);
          values.push(t.text);
        }
        values.forEach((v, i) => checkValue(key, v, i));
        if (values.length === 0) throw parseError(`for 'in', 'notin' operators, values set can't be empty`);
        reqs.push({ key, op: op.text, values });
      } else {
        throw parseError(`found '${op.text}', expected: in, notin, =, ==, !=, gt, lt`);
      }
    } else {
      throw parseError(`found '${t.text}', expected: !, identifier, or 'end of string'`);
    }
    const sep = next();
    if (sep !== undefined && sep.kind !== ',') throw parseError(`found '${sep.text}', expected: ',' or 'end of string'`);
  }
  return reqs;
}

export function matchesLabels(labels: Record<string, string> | undefined, selector: LabelSelector): boolean {
  for (const r of selector) {
    const have = labels?.[r.key];
    switch (r.op) {
      case 'exists': if (have === undefined) return false; break;
      case '!': if (have !== undefined) return false; break;
      case '=': if (have !== r.values[0]) return false; break;
      case '!=': if (have === r.values[0]) return false; break;
      case 'in': if (have === undefined || !r.values.includes(have)) return false; break;
      case 'notin': if (have !== undefined && r.values.includes(have)) return false; break;
      case 'gt':
      case 'lt': {
        if (have === undefined || !/^-?\d+$/.test(have)) return false;
        const a = Number(have);
        const b = Number(r.values[0]);
        if (r.op === 'gt' ? !(a > b) : !(a < b)) return false;
        break;
      }
    }
  }
  return true;
}

/** Converts a metav1.LabelSelector (matchLabels + matchExpressions) to requirements. A nil
 *  selector matches nothing for DaemonSets, so callers handle undefined themselves. */
export function fromLabelSelectorObject(sel: WireLabelSelector): LabelSelector {
  const reqs: Requirement[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) reqs.push({ key, op: '=', values: [value] });
  for (const e of sel.matchExpressions ?? []) {
    const op: Operator = e.operator === 'In' ? 'in' : e.operator === 'NotIn' ? 'notin' : e.operator === 'Exists' ? 'exists' : '!';
    reqs.push({ key: e.key, op, values: e.values ?? [] });
  }
  return reqs;
}

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** Parses `metadata.name=x,spec.nodeName!=y` against the fields a resource supports. */
export function parseFieldSelector(text: string, supported: readonly string[]): FieldRequirement[] {
  const reqs: FieldRequirement[] = [];
  for (const raw of text.split(',')) {
    const term = raw.trim();
    if (term === '') continue;
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    const field = (m[1] ?? '').trim();
    if (!supported.includes(field)) {
      throw badRequest(`field label not supported: ${field}`);
    }
    reqs.push({ field, op: m[2] === '!=' ? '!=' : '=', value: (m[3] ?? '').trim() });
  }
  return reqs;
}

export function matchesFields(get: (field: string) => string, reqs: FieldRequirement[]): boolean {
  for (const r of reqs) {
    const have = get(r.field);
    if (r.op === '=' ? have !== r.value : have === r.value) return false;
  }
  return true;
}
