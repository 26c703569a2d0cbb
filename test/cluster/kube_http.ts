// A small Kubernetes REST client for the test tooling (does I/O): JSON requests and watches over
// HTTPS with a CA and a bearer token. Deliberately independent of nodelb's own clients, so the
// fake kubelet and the tests' world never share the product's reading of the API.
import { Agent, request } from 'node:https';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
    creationTimestamp?: string;
    ownerReferences?: { kind: string; name: string; uid: string }[];
  };
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- raw API objects in test tooling
  status?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  [key: string]: unknown;
}

export interface KubeList {
  metadata: { resourceVersion: string; continue?: string };
  items: KubeObject[];
}

export class KubeApiError extends Error {
  readonly status: number;
  readonly body: string;

  constructor(status: number, body: string, what: string) {
    super(`${what}: HTTP ${status} ${body.slice(0, 500)}`);
    this.status = status;
    this.body = body;
  }
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject;
}

export class KubeHttp {
  private readonly agent: Agent;
  private readonly base: URL;
  private readonly token: string;

  constructor(server: string, ca: string, token: string) {
    this.token = token;
    this.base = new URL(server);
    this.agent = new Agent({ ca, keepAlive: true, maxSockets: 16 });
  }

  get<T = KubeObject>(path: string): Promise<T> {
    return this.json('GET', path);
  }

  /** GET that answers undefined for 404. */
  async find<T = KubeObject>(path: string): Promise<T | undefined> {
    try {
      return await this.json<T>('GET', path);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  post<T = KubeObject>(path: string, body: unknown): Promise<T> {
    return this.json('POST', path, body);
  }

  put<T = KubeObject>(path: string, body: unknown): Promise<T> {
    return this.json('PUT', path, body);
  }

  /** JSON merge patch (RFC 7386): objects merge, arrays are replaced whole. */
  mergePatch<T = KubeObject>(path: string, body: unknown): Promise<T> {
    return this.json('PATCH', path, body, 'application/merge-patch+json');
  }

  /** Strategic merge patch: lists with a merge key (conditions by type) merge entry by entry. */
  strategicPatch<T = KubeObject>(path: string, body: unknown): Promise<T> {
    return this.json('PATCH', path, body, 'application/strategic-merge-patch+json');
  }

  async delete(path: string, body?: unknown): Promise<void> {
    try {
      await this.json('DELETE', path, body);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) return;
      throw err;
    }
  }

  /** Every item of a list, following `continue` tokens. */
  async list(path: string): Promise<KubeList> {
    const items: KubeObject[] = [];
    let cont: string | undefined;
    let rv: string;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const page = await this.get<KubeList>(`${path}${sep}limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
      items.push(...page.items);
      cont = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion;
    } while (cont);
    return { metadata: { resourceVersion: rv }, items };
  }

  json<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = request(
        new URL(path, this.base),
        {
          method,
          agent: this.agent,
          headers: {
            authorization: `Bearer ${this.token}`,
            accept: 'application/json',
            ...(payload === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }),
          },
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status < 200 || status >= 300) return reject(new KubeApiError(status, text, `${method} ${path}`));
            resolve((text ? JSON.parse(text) : undefined) as T);
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out after 30 s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /**
   * Streams watch events until the server ends the watch or `signal` aborts. Resolves with the
   * last resourceVersion seen, so the caller can resume.
   */
  watch(path: string, resourceVersion: string, onEvent: (e: WatchEvent) => void, signal: AbortSignal): Promise<string> {
    const sep = path.includes('?') ? '&' : '?';
    const url = new URL(`${path}${sep}watch=true&allowWatchBookmarks=true&resourceVersion=${resourceVersion}&timeoutSeconds=240`, this.base);
    let last = resourceVersion;
    return new Promise<string>((resolve, reject) => {
      const req = request(url, { method: 'GET', agent: this.agent, headers: { authorization: `Bearer ${this.token}` }, signal }, (res) => {
        if (res.statusCode !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => reject(new KubeApiError(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), `WATCH ${path}`)));
          return;
        }
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          let nl: number;
          while ((nl = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, nl).trim();
            buffered = buffered.slice(nl + 1);
            if (!line) continue;
            const event = JSON.parse(line) as WatchEvent;
            if (event.type === 'ERROR') {
              const status = (event.object as unknown as { code?: number }).code ?? 0;
              req.destroy();
              return reject(new KubeApiError(status, JSON.stringify(event.object), `WATCH ${path}`));
            }
            last = event.object.metadata.resourceVersion ?? last;
            if (event.type !== 'BOOKMARK') onEvent(event);
          }
        });
        res.on('end', () => resolve(last));
        res.on('error', (err) => (signal.aborted ? resolve(last) : reject(err)));
      });
      req.on('error', (err) => (signal.aborted ? resolve(last) : reject(err)));
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
