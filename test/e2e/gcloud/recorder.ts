// A local stand-in for the Google APIs the deploy and teardown scripts call through the real
// gcloud CLI: records every request, keeps created resources so a later describe finds them,
// and answers with minimal plausible bodies (long-running operations already DONE). Loopback only.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  api: string; // the first path segment: the API the override points here (pubsub, iam, …)
  method: string;
  path: string; // without the API prefix and the query, percent-decoded until plain
  rawPath: string; // as sent
  query: URLSearchParams;
  body: unknown; // parsed JSON, or the byte length of anything else
}

/** The APIs gcloud is pointed at: CLOUDSDK_API_ENDPOINT_OVERRIDES_<NAME> = <base>/<name>/. */
export const OVERRIDDEN_APIS = [
  'serviceusage',
  'iam',
  'cloudresourcemanager',
  'pubsub',
  'cloudscheduler',
  'logging',
  'cloudfunctions',
  'run',
  'monitoring',
  'storage',
  'eventarc',
  'artifactregistry',
  'cloudbuild',
  'compute',
] as const;

export interface Recorder {
  base: string; // http://127.0.0.1:PORT
  calls: RecordedCall[];
  /** Resources by API and path (e.g. pubsub/v1/projects/p/topics/t), as created. */
  resources: Map<string, Record<string, unknown>>;
  /** Bodies PUT to the upload URL (the function source zips). */
  uploads: Buffer[];
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

/** What the Functions API lists for a region (the Node.js ones; gcloud refuses other names). */
const RUNTIMES = ['nodejs20', 'nodejs22', 'nodejs24'].map((name) => ({ name, displayName: `Node.js ${name.slice(6)}`, stage: 'GA', environment: 'GEN_2' }));

export const PROJECT_NUMBER = '123456789012';

const done = (name: string, response: unknown): Json => ({ name, done: true, response });

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(body));
}

const notFound = (res: ServerResponse, what: string) =>
  send(res, 404, { error: { code: 404, message: `Resource '${what}' was not found`, status: 'NOT_FOUND' } });

/** Answers one call; `state` holds what was created. */
function answer(rec: Recorder, call: RecordedCall, res: ServerResponse): void {
  const { api, method, path, query } = call;
  const body = (typeof call.body === 'object' && call.body !== null ? call.body : {}) as Json;
  const store = rec.resources;
  // IAM names a service account by email under any project ("projects/-/serviceAccounts/E").
  const sa = /^v1\/projects\/-\/serviceAccounts\/([^/:]+)$/.exec(path);
  const key = sa ? ([...store.keys()].find((k) => k.startsWith('iam/v1/projects/') && k.endsWith(`/serviceAccounts/${sa[1]}`)) ?? `${api}/${path}`) : `${api}/${path}`;

  // The zip `gcloud functions deploy` uploads to the URL generateUploadUrl returned.
  if (api === 'upload') return send(res, 200, {});
  // IAM policies: read the stored one (or an empty one), replace on set.
  const iam = /^(.*):(getIamPolicy|setIamPolicy)$/.exec(path);
  if (iam) {
    const pkey = `${api}/${iam[1]}:policy`;
    if (iam[2] === 'setIamPolicy') store.set(pkey, body.policy as Json);
    return send(res, 200, store.get(pkey) ?? { version: 1, etag: 'BwYAAAAAAAA=' });
  }
  if (api === 'serviceusage' && path.endsWith(':batchEnable')) return send(res, 200, done('operations/enable-1', { services: body.serviceIds }));
  if (path.includes('/operations/') || path.startsWith('operations/') || /\/operations\/[^/]+$/.test(path)) {
    return send(res, 200, store.get(key) ?? done(path.replace(/^v\d\w*\//, ''), {}));
  }
  const project = /^v1\/projects\/([^/:]+)$/.exec(path);
  if (api === 'cloudresourcemanager' && project && method === 'GET') {
    return send(res, 200, { projectId: project[1], projectNumber: PROJECT_NUMBER, name: project[1], lifecycleState: 'ACTIVE' });
  }
  if (api === 'cloudbuild' && path.endsWith('/defaultServiceAccount')) {
    return send(res, 200, { name: path.replace(/^v1\//, ''), serviceAccountEmail: `projects/-/serviceAccounts/${PROJECT_NUMBER}-compute@developer.gserviceaccount.com` });
  }
  if (api === 'iam' && path === 'v1/permissions:queryTestablePermissions') return send(res, 200, { permissions: [] });
  // gcloud checks --runtime against this list before it deploys.
  if (api === 'cloudfunctions' && path.endsWith('/runtimes')) return send(res, 200, { runtimes: RUNTIMES });
  if (api === 'cloudfunctions' && path.endsWith(':generateUploadUrl')) {
    return send(res, 200, {
      uploadUrl: `${rec.base}/upload/source.zip`,
      storageSource: { bucket: 'gcf-v2-uploads-1-us-central1', object: 'source.zip' },
    });
  }
  if (api === 'logging' && /\/sinks$/.test(path) && method === 'POST') {
    // Each sink gets its own writer identity (uniqueWriterIdentity), as on a real project.
    const sink = { ...body, writerIdentity: `serviceAccount:p${PROJECT_NUMBER}-${store.size + 1}@gcp-sa-logging.iam.gserviceaccount.com` };
    store.set(`${key}/${String(body.name)}`, sink);
    return send(res, 200, sink);
  }
  if (method === 'GET') {
    const found = store.get(key);
    if (found) return send(res, 200, found);
    // Collections: list what is stored under this path.
    const m = /\/(alertPolicies|sinks|metrics|jobs|functions|topics|serviceAccounts|roles)$/.exec(path);
    if (m) {
      const items = [...store.entries()].filter(([k]) => k.startsWith(`${key}/`)).map(([, v]) => v);
      const filter = query.get('filter');
      const wanted = filter ? items.filter((i) => filter.includes(String(i.displayName ?? '\u0000'))) : items;
      return send(res, 200, wanted.length > 0 ? { [m[1]!]: wanted } : {});
    }
    return notFound(res, path);
  }
  if (method === 'DELETE') {
    const existed = store.delete(key);
    if (!existed) return notFound(res, path);
    return send(res, 200, api === 'cloudfunctions' || api === 'run' ? done(`${path}/operations/delete`, {}) : {});
  }
  if (method === 'PATCH' || (method === 'PUT' && store.has(key))) {
    const merged = { ...(store.get(key) ?? {}), ...body };
    store.set(key, merged);
    return send(res, 200, api === 'cloudfunctions' ? functionOperation(rec, path.replace(/^v2\//, '').replace(/\/functions\/.*$/, '/functions'), merged) : merged);
  }
  if (method === 'PUT') {
    const created = { name: path.replace(/^v\d\w*\//, ''), ...body };
    store.set(key, created);
    return send(res, 200, created);
  }
  if (method === 'POST') {
    // Create in a collection: the id comes from the query or the body, per API.
    const id =
      (api === 'logging' && /\/metrics$/.test(path) ? (body.name as string | undefined) : undefined) ??
      query.get('functionId') ??
      query.get('metricId') ??
      (body.accountId as string | undefined) ??
      (body.roleId as string | undefined) ??
      (typeof body.name === 'string' ? body.name.split('/').pop() : undefined) ??
      `auto-${store.size + 1}`;
    const inner = (body.role ?? body.serviceAccount ?? body) as Json;
    const parent = path.replace(/^v\d\w*\//, '');
    const created: Json = { ...inner, name: `${parent}/${id}` };
    if (api === 'iam' && body.accountId) created.email = `${id}@${parent.split('/')[1]}.iam.gserviceaccount.com`;
    if (api === 'iam' && body.accountId) created.name = `${parent}/${String(created.email)}`;
    store.set(api === 'iam' && body.accountId ? `${key}/${String(created.email)}` : `${key}/${id}`, created);
    if (api === 'cloudfunctions') return send(res, 200, functionOperation(rec, parent, created));
    return send(res, 200, created);
  }
  send(res, 400, { error: { code: 400, message: `recorder: no answer for ${method} ${path}`, status: 'INVALID_ARGUMENT' } });
}

/** A Cloud Functions v2 operation, already DONE, stored so that polling finds it: gcloud reads
 *  the typed metadata (build stages) and the Function in the response. */
function functionOperation(rec: Recorder, collection: string, fn: Json): Json {
  const location = collection.replace(/\/functions$/, '');
  const name = `${location}/operations/operation-${rec.calls.length}`;
  const service = `${location.replace(/^projects\/[^/]+/, `projects/${PROJECT_NUMBER}`)}/services/${String(fn.name).split('/').pop()}`;
  const response = { '@type': 'type.googleapis.com/google.cloud.functions.v2.Function', ...fn, state: 'ACTIVE', environment: 'GEN_2', serviceConfig: { ...(fn.serviceConfig as Json), service } };
  const op = {
    name,
    done: true,
    metadata: { '@type': 'type.googleapis.com/google.cloud.functions.v2.OperationMetadata', target: fn.name, verb: 'create', stages: [] },
    response,
  };
  rec.resources.set(`cloudfunctions/v2/${name}`, op);
  rec.resources.set(`cloudfunctions/v2/${String(fn.name)}`, response);
  return op;
}

export async function startRecorder(): Promise<Recorder> {
  const calls: RecordedCall[] = [];
  const rec: Recorder = { base: '', calls, resources: new Map(), uploads: [], close: async () => {} };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://recorder');
      const [, api = '', ...rest] = url.pathname.split('/');
      const raw = Buffer.concat(chunks);
      let body: unknown = raw.length;
      if ((req.headers['content-type'] ?? '').includes('json') && raw.length > 0) {
        try {
          body = JSON.parse(raw.toString('utf8')) as unknown;
        } catch {
          body = raw.toString('utf8');
        }
      }
      // gcloud double-encodes a "/" inside a logs-based metric's name in the URL path
      // (nodelb%252Fsyncs); decode until plain so every form names the same resource.
      const rawPath = rest.join('/');
      let path = rawPath;
      for (let i = 0; i < 3 && /%[0-9A-Fa-f]{2}/.test(path); i++) path = decodeURIComponent(path);
      const call: RecordedCall = { api, method: req.method ?? 'GET', path, rawPath, query: url.searchParams, body };
      calls.push(call);
      if (api === 'upload') rec.uploads.push(raw);
      answer(rec, call, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  rec.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  rec.close = () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  return rec;
}

/** The environment that points the real gcloud at the recorder, with a throw-away config. */
export function gcloudEnv(rec: Recorder, configDir: string, tokenFile: string, project: string): Record<string, string> {
  const env: Record<string, string> = {
    CLOUDSDK_CONFIG: configDir,
    CLOUDSDK_AUTH_ACCESS_TOKEN_FILE: tokenFile,
    CLOUDSDK_CORE_PROJECT: project,
    CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
    CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: '1',
    CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: '1',
    CLOUDSDK_SURVEY_DISABLE_PROMPTS: '1',
  };
  for (const api of OVERRIDDEN_APIS) env[`CLOUDSDK_API_ENDPOINT_OVERRIDES_${api.toUpperCase()}`] = `${rec.base}/${api}/`;
  return env;
}
