// The kinds of value a configuration variable takes (a whole number, true/false, a URL …): each
// parses the raw environment string, knows its documented default, and says what it accepts
// when the value is bad. Pure; config.ts's table is built from these.
import { z } from 'zod';
import type { PortRange } from './core/plan_config.ts';
import { parseEqualitySelector, type Selector } from './core/selectors.ts';
import { CLUSTER_NAME_FORM, parseClusterName } from './cluster_name.ts';

/** One kind of value. Problems are reported without the variable's name: config.ts prefixes it
 *  from the zod path, so a message cannot name the wrong variable. */
export interface Kind<T> {
  schema: z.ZodType<T, string | undefined>;
  /** The default as the README and --help show it: a value, or "(…)" saying what unset means. */
  default: string;
  boolean: boolean; // the CLI offers --x and --no-x instead of --x <value>
  valueName: string; // the CLI's placeholder: --max-ips <n>
}

type Check<T> = (raw: string | undefined) => { ok: true; value: T } | { ok: false; problems: string[] };

function kind<T>(check: Check<T>, shown: string, valueName = 'value', boolean = false): Kind<T> {
  const schema = z
    .string()
    .optional()
    .transform((v, ctx): T => {
      const r = check(v);
      if (r.ok) return r.value;
      for (const message of r.problems) ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    });
  return { schema, default: shown, boolean, valueName };
}

const ok = <T>(value: T) => ({ ok: true as const, value });
const bad = (...problems: string[]) => ({ ok: false as const, problems });
const unset = (v: string | undefined): v is undefined | '' => v === undefined || v === '';

/** Comma- or space-separated words; empty items are dropped. */
export const words = (v: string | undefined): string[] => (v ?? '').split(/[\s,]+/).filter((s) => s !== '');

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];

export function onOff(dflt: boolean): Kind<boolean> {
  return kind(
    (v) => {
      if (unset(v)) return ok(dflt);
      const s = v.trim().toLowerCase();
      if (TRUE.includes(s)) return ok(true);
      if (FALSE.includes(s)) return ok(false);
      return bad(`expected true or false (or 1/0, yes/no, on/off), got "${v}"`);
    },
    String(dflt),
    'value',
    true,
  );
}

/** A whole number in [min, max]; `scale` multiplies the result (seconds in, milliseconds out). */
export function wholeNumber(dflt: number, min: number, max: number, opts: { scale?: number; valueName?: string } = {}): Kind<number> {
  const scale = opts.scale ?? 1;
  return kind(
    (v) => {
      if (v === undefined || v.trim() === '') return ok(dflt * scale);
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) return bad(`expected a whole number from ${min} to ${max}, got "${v}"`);
      return ok(n * scale);
    },
    String(dflt),
    opts.valueName ?? 'n',
  );
}

/** One of a few words, matched without regard to case, returned as spelled here. */
export function oneOf<T extends string>(values: readonly T[], dflt: T, valueName: string): Kind<T> {
  return kind(
    (v) => {
      if (unset(v)) return ok(dflt);
      const hit = values.find((x) => x.toLowerCase() === v.trim().toLowerCase());
      return hit === undefined ? bad(`expected one of ${values.join(', ')}, got "${v}"`) : ok(hit);
    },
    dflt,
    valueName,
  );
}

/** An http(s) base URL, trailing slashes dropped. */
export function httpUrl(dflt: string): Kind<string> {
  return kind(
    (v) => {
      const s = unset(v) ? dflt : v.trim();
      try {
        const u = new URL(s);
        if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('scheme');
      } catch {
        return bad(`expected a full http(s) URL such as ${dflt}, got "${v}"`);
      }
      return ok(s.replace(/\/+$/, ''));
    },
    dflt,
    'url',
  );
}

/** A trimmed word that must match `pattern`; `accepted` says in words what does. */
export function matching(dflt: string, pattern: RegExp, accepted: string, valueName: string): Kind<string> {
  return kind(
    (v) => {
      const s = unset(v) ? dflt : v.trim();
      return pattern.test(s) ? ok(s) : bad(`expected ${accepted}, got "${s}"`);
    },
    dflt,
    valueName,
  );
}

/** Like `matching`, but unset (or blank) means "none". */
export function optionalMatching(pattern: RegExp, accepted: string, valueName: string): Kind<string | undefined> {
  return kind(
    (v) => {
      const s = v?.trim();
      if (s === undefined || s === '') return ok(undefined);
      return pattern.test(s) ? ok(s) : bad(`expected ${accepted}, got "${s}"`);
    },
    '(none)',
    valueName,
  );
}

/** Free text, trimmed. Unset gives the default; set and empty gives '' (which turns a feature off). */
export function text(dflt: string, valueName: string): Kind<string> {
  return kind((v) => ok(v === undefined ? dflt : v.trim()), dflt, valueName);
}

/** A secret read as is (trimmed); unset or blank means "none". */
export function secret(shown: string): Kind<string | undefined> {
  return kind((v) => ok(v === undefined || v.trim() === '' ? undefined : v.trim()), shown);
}

/** A list of words, unchecked; empty means "every one". */
export function wordList(shown: string, valueName: string): Kind<string[]> {
  return kind((v) => ok(words(v)), shown, valueName);
}

export function labelSelector(): Kind<Selector> {
  return kind(
    (v) => {
      const r = parseEqualitySelector(v ?? '');
      if (r.ok) return ok(r.selector);
      // Some errors already say what is accepted; the others name only the bad part.
      return bad(/key=value/.test(r.error) ? r.error : `${r.error}; expected key=value, key!=value or key, comma separated`);
    },
    '(all nodes)',
    'selector',
  );
}

/** "22,10250-10252" → ranges, with one problem per bad item. */
export function parsePortRanges(text: string): { ranges: PortRange[]; problems: string[] } {
  const ranges: PortRange[] = [];
  const problems: string[] = [];
  for (const part of words(text)) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part);
    const from = m ? Number(m[1]) : NaN;
    const to = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || from < 1 || to > 65535 || from > to) problems.push(`"${part}" is not a port or port range (1-65535)`);
    else ranges.push({ from, to });
  }
  return { ranges, problems };
}

/** Unset gives the default ranges; set and empty gives none. */
export function portRanges(dflt: string): Kind<PortRange[]> {
  return kind(
    (v) => {
      const r = parsePortRanges(v === undefined ? dflt : v);
      return r.problems.length === 0 ? ok(r.ranges) : bad(...r.problems);
    },
    dflt,
    'ports',
  );
}

/** Full cluster names, duplicates dropped; every bad one is named. */
export function clusterNames(): Kind<string[]> {
  return kind(
    (v) => {
      const items = words(v);
      const wrong = items.filter((c) => parseClusterName(c) === undefined);
      if (wrong.length > 0) return bad(...wrong.map((c) => `"${c}" is not ${CLUSTER_NAME_FORM}`));
      return ok([...new Set(items)]);
    },
    '(none)',
    'name',
  );
}
