// Equality-based label selectors ("a=b,c!=d,e", as in kubectl -l) for node choice: parse and match.
// Set-based forms ("in", "notin") are refused with a clear error rather than half-supported.

export type Selector = Record<string, string>; // key → required value; '!v' means "not v"; '' means "exists"

const KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

export function parseEqualitySelector(text: string): { ok: true; selector: Selector } | { ok: false; error: string } {
  const selector: Selector = {};
  for (const raw of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const m = /^([^=!\s]+)\s*(==|=|!=)?\s*(.*)$/.exec(raw);
    if (!m) return { ok: false, error: `"${raw}" is not key=value, key!=value or key` };
    const [, key = '', op, value = ''] = m;
    if (!KEY.test(key)) return { ok: false, error: `"${key}" is not a valid label key` };
    if (op === undefined) {
      if (value !== '') return { ok: false, error: `"${raw}" is not key=value, key!=value or key` };
      selector[key] = '';
      continue;
    }
    if (!VALUE.test(value)) return { ok: false, error: `"${value}" is not a valid label value` };
    selector[key] = op === '!=' ? `!${value}` : value;
  }
  return { ok: true, selector };
}

export function matchesSelector(labels: Record<string, string>, selector: Selector): boolean {
  for (const [key, want] of Object.entries(selector)) {
    const have = labels[key];
    if (want === '') {
      if (have === undefined) return false;
    } else if (want.startsWith('!')) {
      if (have === want.slice(1)) return false;
    } else if (have !== want) return false;
  }
  return true;
}
