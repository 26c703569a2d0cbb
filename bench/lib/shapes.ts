// The cluster shapes GKE can have that `npm run bench -- --shapes realistic` measures (pure).
// A GKE node runs at most 110 pods by default (256 at most), so S Services on every one of N
// nodes needs S ≤ ~100; more Services than that are spread over node pools.

export interface Shape {
  /** Key used on the command line and in the results: A, B. */
  key: string;
  services: number;
  nodes: number;
  /** Nodes per nodelb pool (`nodelb.dev/pool`), each Service in one pool; 0: no pools, every Service on every node. */
  poolSize: number;
  /** GKE node pools the nodes are spread over (cloud.google.com/gke-nodepool). */
  gkePools: number;
  description: string;
}

export const SHAPES: Record<string, Shape> = {
  A: {
    key: 'A',
    services: 100,
    nodes: 5000,
    poolSize: 0,
    gkePools: 5,
    description: '100 Services × 5,000 nodes, every Service on every node (500,000 proxy pods)',
  },
  B: {
    key: 'B',
    services: 1000,
    nodes: 1000,
    poolSize: 10,
    gkePools: 100,
    description: '1,000 Services × 1,000 nodes in 100 pools of 10 (`nodelb.dev/pool`), 10 Services per pool (10,000 proxy pods)',
  },
};

/** Small versions with the same structure, for quick runs while developing (`--shapes small`). */
export const SMALL_SHAPES: Record<string, Shape> = {
  a: { key: 'a', services: 10, nodes: 50, poolSize: 0, gkePools: 2, description: '10 Services × 50 nodes (shape A in small)' },
  b: { key: 'b', services: 40, nodes: 40, poolSize: 10, gkePools: 4, description: '40 Services × 40 nodes in pools of 10 (shape B in small)' },
};

export function parseShapes(text: string): Shape[] {
  if (text === 'realistic') return [SHAPES.A, SHAPES.B] as Shape[];
  if (text === 'small') return [SMALL_SHAPES.a, SMALL_SHAPES.b] as Shape[];
  return text.split(',').map((k) => {
    const s = SHAPES[k.trim()] ?? SMALL_SHAPES[k.trim()];
    if (!s) throw new Error(`--shapes: expected realistic, small or a list of ${Object.keys({ ...SHAPES, ...SMALL_SHAPES }).join(', ')}; got "${k}"`);
    return s;
  });
}

export function proxyPods(s: Shape): number {
  return s.services * (s.poolSize > 0 ? s.poolSize : s.nodes);
}
