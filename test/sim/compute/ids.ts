// Identifiers and timestamps in the shapes GCE uses: unsigned int64 ids as decimal strings,
// operation names, RFC 3339 timestamps with milliseconds and a -07:00 offset (GCE writes
// Pacific time). Impure only through crypto randomness and the clock passed in.
import { randomBytes } from 'node:crypto';

export const COMPUTE_URL = 'https://www.googleapis.com/compute/v1';

/** A random non-zero unsigned 64-bit id, as GCE returns it (a decimal string). */
export function newId(): string {
  const n = randomBytes(8).readBigUInt64BE() | 1n;
  return n.toString();
}

export function newOperationName(nowMs: number): string {
  const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
  return `operation-${nowMs}-${hex(7).slice(0, 13)}-${hex(4)}-${hex(4)}`;
}

const OFFSET_MINUTES = -7 * 60;

/** e.g. 2025-04-21T09:16:12.731-07:00 */
export function gceTimestamp(ms: number): string {
  const shifted = new Date(ms + OFFSET_MINUTES * 60_000).toISOString(); // ends in Z
  const sign = OFFSET_MINUTES < 0 ? '-' : '+';
  const abs = Math.abs(OFFSET_MINUTES);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${shifted.slice(0, -1)}${sign}${hh}:${mm}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isValidRequestId(id: string): boolean {
  return UUID.test(id) && !/^[0-]+$/.test(id);
}
