// ClusterIP (10.96.0.0/12 and fd00::/108) and NodePort (30000-32767) allocation for Services,
// with the real "already allocated" errors for explicit requests. In-memory state.
import { invalid, type FieldError } from './field_errors.ts';

const V4_BASE = (10 << 24) | (96 << 16); // 10.96.0.0
const V4_SIZE = 1 << 20; // /12
const V6_SIZE = 1 << 20; // /108
export const NODE_PORT_MIN = 30000;
export const NODE_PORT_MAX = 32767;

function v4(n: number): string {
  const x = (V4_BASE + n) >>> 0;
  return `${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`;
}

function v6(n: number): string {
  return `fd00::${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`.replace('fd00::0:', 'fd00::');
}

export class ServiceAllocator {
  private readonly ips = new Set<string>();
  private readonly nodePorts = new Set<number>();
  private nextV4 = 10;
  private nextV6 = 10;
  private readonly random: () => number;

  constructor(random: () => number) {
    this.random = random;
    this.ips.add(v4(1)); // the kubernetes Service
    this.ips.add(v4(10)); // kube-dns
  }

  allocateIP(family: 'IPv4' | 'IPv6'): string {
    for (let i = 0; i < V4_SIZE; i++) {
      const ip = family === 'IPv4' ? v4(this.nextV4++ % V4_SIZE) : v6(this.nextV6++ % V6_SIZE);
      if (!this.ips.has(ip) && !ip.endsWith('.0')) {
        this.ips.add(ip);
        return ip;
      }
    }
    throw new Error('service IP range exhausted');
  }

  /** Claims an explicitly requested IP; an error when it is taken. */
  claimIP(ip: string, field: string): FieldError | undefined {
    if (this.ips.has(ip)) return invalid(field, [ip], `failed to allocate IP ${ip}: provided IP is already allocated`);
    this.ips.add(ip);
    return undefined;
  }

  releaseIP(ip: string): void {
    this.ips.delete(ip);
  }

  allocateNodePort(): number {
    const span = NODE_PORT_MAX - NODE_PORT_MIN + 1;
    const start = this.random() % span;
    for (let i = 0; i < span; i++) {
      const port = NODE_PORT_MIN + ((start + i) % span);
      if (!this.nodePorts.has(port)) {
        this.nodePorts.add(port);
        return port;
      }
    }
    throw new Error('node port range exhausted');
  }

  claimNodePort(port: number, field: string): FieldError | undefined {
    if (port < NODE_PORT_MIN || port > NODE_PORT_MAX) {
      return invalid(field, port, `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_MIN}-${NODE_PORT_MAX}`);
    }
    if (this.nodePorts.has(port)) return invalid(field, port, 'provided port is already allocated');
    this.nodePorts.add(port);
    return undefined;
  }

  releaseNodePort(port: number): void {
    this.nodePorts.delete(port);
  }
}
