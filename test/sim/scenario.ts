// Names and addresses for generated worlds (pure): distinct external IPs from documentation
// ranges and GKE-like node names. test/cluster/seed.ts builds worlds on the real control plane
// from them; the fault tests use them too.

const DOC_RANGES_24 = ['203.0.113', '198.51.100', '192.0.2'];

/** The i-th distinct external IPv4: TEST-NET-3, -2, -1 (RFC 5737), then the benchmarking
 *  range 198.18.0.0/15 (RFC 2544); wraps after about 131 000 addresses. */
export function externalIPFor(i: number): string {
  const n = i % (3 * 254 + 2 * 256 * 256 - 2);
  if (n < 3 * 254) return `${DOC_RANGES_24[Math.floor(n / 254)]}.${(n % 254) + 1}`;
  const m = n - 3 * 254 + 1;
  return `198.${18 + (m >> 16)}.${(m >> 8) & 255}.${m & 255}`;
}

/** GKE-like node names: gke-<cluster>-default-pool-<8 hex per zone>-<4 chars>. */
export function nodeNameFor(cluster: string, zone: string, i: number): string {
  let h = 0x811c9dc5;
  for (const ch of zone) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  const group = (h >>> 0).toString(16).padStart(8, '0');
  const suffix = i.toString(36).padStart(4, '0').slice(-4);
  return `gke-${cluster}-default-pool-${group}-${suffix}`;
}
