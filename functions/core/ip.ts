// IP addresses and CIDRs: parse, normalise, format and order them (pure; no node:net, which core
// may not import). One order is used everywhere: IPv4 before IPv6, each numerically by value.
import type { IPFamily } from './model.ts';

export interface ParsedIP {
  family: IPFamily;
  value: bigint;
}

export interface ParsedCIDR {
  family: IPFamily;
  network: bigint; // host bits cleared, as Go's net.ParseCIDR returns it
  prefix: number;
  text: string; // canonical "network/prefix"
}

const V4_OCTET = /^(0|[1-9][0-9]{0,2})$/; // no leading zeros: Go (≥ 1.17) rejects them too

function parseIPv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!V4_OCTET.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseHexGroups(text: string): bigint[] | undefined {
  if (text === '') return [];
  const groups: bigint[] = [];
  const parts = text.split(':');
  for (const [i, part] of parts.entries()) {
    // An embedded IPv4 address may end the address (::ffff:192.0.2.1).
    if (i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIPv4(part);
      if (v4 === undefined) return undefined;
      groups.push(v4 >> 16n, v4 & 0xffffn);
      continue;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined;
    groups.push(BigInt(`0x${part}`));
  }
  return groups;
}

function parseIPv6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parseHexGroups(halves[0] ?? '');
  const tail = halves.length === 2 ? parseHexGroups(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<bigint>(missing).fill(0n), ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

export function parseIP(text: string): ParsedIP | undefined {
  const s = text.trim();
  if (s.includes(':')) {
    const value = parseIPv6(s);
    return value === undefined ? undefined : { family: 'IPv6', value };
  }
  const value = parseIPv4(s);
  return value === undefined ? undefined : { family: 'IPv4', value };
}

export function ipFamilyOf(text: string): IPFamily | undefined {
  return parseIP(text)?.family;
}

export function formatIP(ip: ParsedIP): string {
  if (ip.family === 'IPv4') {
    return [24n, 16n, 8n, 0n].map((shift) => String((ip.value >> shift) & 0xffn)).join('.');
  }
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => (ip.value >> shift) & 0xffffn);
  // RFC 5952: compress the longest run (≥ 2) of zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0n) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0n) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (gs: bigint[]) => gs.map((g) => g.toString(16)).join(':');
  if (bestLen < 2) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/** The canonical spelling of an address, or the input unchanged when it is not one. */
export function canonicalIP(text: string): string {
  // A valid IPv4 address has one spelling (leading zeros are refused), so skip the round trip.
  if (!text.includes(':')) return text;
  const ip = parseIP(text);
  return ip === undefined ? text : formatIP(ip);
}

export function parseCIDR(text: string): ParsedCIDR | undefined {
  const m = /^([^/\s]+)\/(\d{1,3})$/.exec(text.trim());
  if (!m) return undefined;
  const ip = parseIP(m[1] ?? '');
  const prefix = Number(m[2]);
  if (ip === undefined) return undefined;
  const bits = ip.family === 'IPv4' ? 32 : 128;
  const leadingZero = (m[2] ?? '').length > 1 && (m[2] ?? '').startsWith('0');
  if (prefix > bits || leadingZero) return undefined;
  const hostBits = BigInt(bits - prefix);
  const network = (ip.value >> hostBits) << hostBits;
  return { family: ip.family, network, prefix, text: `${formatIP({ family: ip.family, value: network })}/${prefix}` };
}

/** IPv4 before IPv6, then by numeric value; unparsable strings last, by text. */
export function compareIPs(a: string, b: string): number {
  const pa = parseIP(a);
  const pb = parseIP(b);
  if (pa === undefined || pb === undefined) {
    if (pa !== undefined) return -1;
    if (pb !== undefined) return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (pa.family !== pb.family) return pa.family === 'IPv4' ? -1 : 1;
  return pa.value < pb.value ? -1 : pa.value > pb.value ? 1 : 0;
}

/** Deduplicated and in compareIPs order; each address is parsed once. */
export function sortIPs(ips: Iterable<string>): string[] {
  const keyed = [...new Set(ips)].map((text) => ({ text, ip: parseIP(text) }));
  keyed.sort((a, b) => {
    if (a.ip === undefined || b.ip === undefined) return compareIPs(a.text, b.text);
    if (a.ip.family !== b.ip.family) return a.ip.family === 'IPv4' ? -1 : 1;
    return a.ip.value < b.ip.value ? -1 : a.ip.value > b.ip.value ? 1 : 0;
  });
  return keyed.map((k) => k.text);
}
