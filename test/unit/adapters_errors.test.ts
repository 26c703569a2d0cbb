// Error mapping of the adapters: client-node ApiException and fetch failures → ApiError (kube),
// GCE HTTP and operation errors → ApiError (compute), with retryable and fix set right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiException } from '@kubernetes/client-node';
import { isAlreadyExists, isConflict, kubeError } from '../../functions/adapters/kube_errors.ts';
import { computeError, gcloudFirewall, operationError, type ComputeOp } from '../../functions/adapters/compute_errors.ts';
import { networkError, parseRetryAfter } from '../../functions/adapters/http_errors.ts';

const status = (code: number, reason: string, message = 'm', details?: object) =>
  JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message, details });
const exception = (code: number, body: string | undefined, headers: Record<string, string> = {}) =>
  new ApiException<string | undefined>(code, 'x', body, headers);
const listServices = { op: 'list services', verb: 'list', resource: 'services' };

test('409 Conflict and 409 AlreadyExists are told apart by Status.reason', () => {
  const conflict = kubeError(exception(409, status(409, 'Conflict', 'the object has been modified')), listServices);
  const exists = kubeError(exception(409, status(409, 'AlreadyExists', 'already exists')), listServices);
  assert.equal(isConflict(conflict), true);
  assert.equal(isAlreadyExists(conflict), false);
  assert.equal(isAlreadyExists(exists), true);
  assert.equal(isConflict(exists), false);
  assert.equal(conflict.retryable, false);
  assert.match(conflict.message, /the object has been modified/);
});

test('403 is permanent and its fix names the RBAC verb, resource, scope and kubectl apply -k', () => {
  const e = kubeError(exception(403, status(403, 'Forbidden', 'services "a" is forbidden')), {
    op: 'update status',
    verb: 'update',
    resource: 'services/status',
    namespace: 'shop',
  });
  assert.equal(e.retryable, false);
  assert.equal(e.status, 403);
  assert.match(e.fix ?? '', /"update" on "services\/status" in namespace "shop"/);
  assert.match(e.fix ?? '', /kubectl apply -k manifests\//);
});

test('401 (client-node gives no body) points at the userinfo.email scope and the RBAC user', () => {
  const e = kubeError(exception(401, undefined), listServices);
  assert.equal(e.retryable, false);
  assert.match(e.fix ?? '', /userinfo\.email/);
  assert.match(e.fix ?? '', /RBAC User/);
});

test('429 and 5xx are retryable and carry Retry-After (header or Status details)', () => {
  const throttled = kubeError(exception(429, status(429, 'TooManyRequests'), { 'retry-after': '2' }), listServices);
  assert.equal(throttled.retryable, true);
  assert.equal(throttled.retryAfterMs, 2000);
  const viaBody = kubeError(exception(429, status(429, 'TooManyRequests', 'm', { retryAfterSeconds: 5 })), listServices);
  assert.equal(viaBody.retryAfterMs, 5000);
  assert.equal(kubeError(exception(503, 'upstream connect error'), listServices).retryable, true);
  assert.equal(kubeError(exception(422, status(422, 'Invalid')), listServices).retryable, false);
});

test('network failures are retryable; TLS trust failures are not and say why', () => {
  const refused = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
  const e = kubeError(refused, listServices, 'https://127.0.0.1:1');
  assert.equal(e.retryable, true);
  assert.equal(e.status, undefined);
  assert.equal(e.reason, 'ECONNREFUSED');
  const tls = networkError('kube', 'list', Object.assign(new TypeError('fetch failed'), { cause: { code: 'SELF_SIGNED_CERT_IN_CHAIN' } }), 'x');
  assert.equal(tls.retryable, false);
  assert.match(tls.fix ?? '', /CA/);
});

test('parseRetryAfter reads seconds and HTTP dates', () => {
  assert.equal(parseRetryAfter('3'), 3000);
  assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6000);
  assert.equal(parseRetryAfter('soon'), undefined);
  assert.equal(parseRetryAfter(null), undefined);
});

const insertCall: ComputeOp = {
  op: 'insert firewall rule nodelb-x',
  project: 'host-proj',
  permissions: ['compute.firewalls.create', 'compute.networks.updatePolicy'],
  byHand: 'gcloud compute firewall-rules create nodelb-x --project=host-proj',
  firewallWrite: true,
};
const gce = (status: number, reason: string, retryAfter: string | null = null) => ({
  status,
  error: { code: status, message: 'msg', errors: [{ reason, message: 'msg' }] },
  retryAfter,
});

test('GCE 403 is classified by reason: rate limits retry, permission errors do not', () => {
  for (const reason of ['rateLimitExceeded', 'userRateLimitExceeded', 'CONCURRENT_OPERATIONS_QUOTA_EXCEEDED', 'RESOURCE_OPERATION_RATE_EXCEEDED']) {
    assert.equal(computeError(gce(403, reason, '1'), insertCall).retryable, true, reason);
  }
  const denied = computeError(gce(403, 'forbidden'), insertCall);
  assert.equal(denied.retryable, false);
  assert.match(denied.fix ?? '', /compute\.firewalls\.create and compute\.networks\.updatePolicy/);
  assert.match(denied.fix ?? '', /Shared VPC: the host project/);
  assert.match(denied.fix ?? '', /gcloud compute firewall-rules create nodelb-x/);
});

test('GCE resourceNotReady (400/409), 429 and 5xx retry; other 4xx do not', () => {
  assert.equal(computeError(gce(400, 'resourceNotReady'), insertCall).retryable, true);
  assert.equal(computeError(gce(409, 'resourceNotReady'), insertCall).retryable, true);
  assert.equal(computeError(gce(503, 'backendError'), insertCall).retryable, true);
  assert.equal(computeError(gce(429, 'rateLimitExceeded', '7'), insertCall).retryAfterMs, 7000);
  assert.equal(computeError(gce(400, 'invalid'), insertCall).retryable, false);
  assert.equal(computeError(gce(409, 'alreadyExists'), insertCall).reason, 'alreadyExists');
});

test('a DONE operation with errors is a failure carrying its code', () => {
  const quota = operationError({ name: 'op-1', error: { errors: [{ code: 'QUOTA_EXCEEDED', message: "Quota 'FIREWALLS' exceeded" }] } }, insertCall);
  assert.equal(quota.reason, 'QUOTA_EXCEEDED');
  assert.equal(quota.retryable, false);
  assert.match(quota.fix ?? '', /Firewall rules" quota of project host-proj/);
  assert.equal(operationError({ error: { errors: [{ code: 'RESOURCE_NOT_READY' }] } }, insertCall).retryable, true);
  assert.equal(operationError({ httpErrorStatusCode: 503, error: { errors: [{ code: 'X' }] } }, insertCall).retryable, true);
});

test('gcloud commands mirror the rule', () => {
  const cmd = gcloudFirewall('create', 'p', 'nodelb-a', {
    name: 'nodelb-a',
    network: 'projects/p/global/networks/vpc',
    allowed: [{ IPProtocol: 'tcp', ports: ['80', '443'] }, { IPProtocol: 'udp', ports: ['53'] }],
    sourceRanges: ['0.0.0.0/0'],
    targetTags: ['gke-c-node'],
    priority: 1000,
    description: `{"it's":"json"}`,
  });
  assert.equal(
    cmd,
    `gcloud compute firewall-rules create nodelb-a --project=p --network=vpc --direction=INGRESS --allow=tcp:80,tcp:443,udp:53 --source-ranges=0.0.0.0/0 --target-tags=gke-c-node --priority=1000 --description='{"it'\\''s":"json"}'`,
  );
  assert.equal(gcloudFirewall('delete', 'p', 'nodelb-a'), 'gcloud compute firewall-rules delete nodelb-a --project=p --quiet');
});
