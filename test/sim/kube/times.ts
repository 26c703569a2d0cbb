// Timestamps as the API server stores them: metav1.Time at second precision (RFC 3339, "Z"),
// metav1.MicroTime at microseconds; anything unparseable is a 400 from the decoder. Pure.
import { badRequest } from './errors.ts';

function parse(value: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) {
    throw badRequest(`parsing time "${value}" as "2006-01-02T15:04:05Z07:00": cannot parse "${value}" as "2006"`);
  }
  return ms;
}

/** metav1.Time: null and "" stay as they are (they mean unset). */
export function normalizeTime(value: unknown): unknown {
  if (typeof value !== 'string' || value === '') return value;
  const ms = parse(value);
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** metav1.MicroTime: six fractional digits. */
export function normalizeMicroTime(value: unknown): unknown {
  if (typeof value !== 'string' || value === '') return value;
  const fraction = /\.(\d+)/.exec(value)?.[1] ?? '';
  const ms = parse(value);
  const base = new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19);
  return `${base}.${fraction.padEnd(6, '0').slice(0, 6)}Z`;
}
