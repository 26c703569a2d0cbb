// Port lists for firewall rules: collapse numbers into GCE "from-to" entries and read them back
// as sets for a semantic comparison (pure).
import type { PortRange } from './plan_config.ts';

/** [80, 8002, 8000, 8001] → ["80", "8000-8002"], ordered by the first port of each entry. */
export function collapsePorts(ports: Iterable<number>): string[] {
  const sorted = [...new Set(ports)].sort((a, b) => a - b);
  const out: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const from = sorted[i] as number;
    let to = from;
    while (i + 1 < sorted.length && sorted[i + 1] === to + 1) {
      to++;
      i++;
    }
    out.push(from === to ? String(from) : `${from}-${to}`);
    i++;
  }
  return out;
}

/** GCE port entries → the set of ports they open. No entries at all means every port. */
export function expandPortEntries(entries: readonly string[] | null | undefined): Set<number> | 'all' {
  if (!entries || entries.length === 0) return 'all';
  const ports = new Set<number>();
  for (const entry of entries) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(entry.trim());
    if (!m) continue; // not something GCE returns; the comparison then reports a difference
    const from = Number(m[1]);
    const to = Number(m[2] ?? m[1]);
    for (let p = from; p <= to && p <= 65535; p++) ports.add(p);
  }
  return ports;
}

export function formatPortSet(ports: Set<number> | 'all'): string {
  return ports === 'all' ? 'all ports' : collapsePorts(ports).join(',');
}

export function deniedRangeFor(port: number, denied: readonly PortRange[]): PortRange | undefined {
  return denied.find((r) => port >= r.from && port <= r.to);
}

export function formatRange(r: PortRange): string {
  return r.from === r.to ? String(r.from) : `${r.from}-${r.to}`;
}
