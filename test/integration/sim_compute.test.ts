// The simulated Compute API driven by the real @google-cloud/compute clients over HTTP:
// firewall CRUD through operations, GCE validation, requestId idempotency, aggregated instance
// listing with paging and filters, faults, auth, and the raw JSON shapes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { protos } from '@google-cloud/compute';
import { startComputeSim, type ComputeSim, type ComputeSimOptions } from '../sim/compute.ts';
import { FaultPlan } from '../sim/faults.ts';
import { computeClients, type ComputeClients } from './google_clients.ts';

type IFirewall = protos.google.cloud.compute.v1.IFirewall;
type IOperation = protos.google.cloud.compute.v1.IOperation;

const TOKEN = 'sim-token';
// The async iterators page by themselves; saying so keeps gax from warning that it ignores autoPaginate.
const NO_AUTOPAGINATE = { autoPaginate: false };
const P = 'proj-a';

async function withSim(opts: ComputeSimOptions, fn: (sim: ComputeSim, c: ComputeClients) => Promise<void>): Promise<void> {
  const sim = await startComputeSim({ project: P, token: TOKEN, ...opts });
  const clients = computeClients(sim.port, TOKEN);
  try {
    await fn(sim, clients);
  } finally {
    await clients.close();
    await sim.close();
  }
}

function rule(name: string, extra: IFirewall = {}): IFirewall {
  return {
    name,
    network: `projects/${P}/global/networks/default`,
    allowed: [{ IPProtocol: 'tcp', ports: ['80', '443'] }],
    sourceRanges: ['0.0.0.0/0'],
    targetTags: ['gke-c1-0123abcd-node'],
    description: '{"nodelb":"test"}',
    ...extra,
  };
}

/** Waits like production code must: `wait` can return before DONE, so loop. */
async function waitDone(c: ComputeClients, op: IOperation): Promise<IOperation> {
  for (;;) {
    const [got] = await c.operations.wait({ project: P, operation: op.name ?? '' });
    if (got.status === 'DONE') return got;
  }
}

async function insert(c: ComputeClients, r: IFirewall, requestId?: string): Promise<IOperation> {
  const [lro] = await c.firewalls.insert({ project: P, firewallResource: r, ...(requestId ? { requestId } : {}) });
  return lro.latestResponse as IOperation;
}

async function rejection(p: Promise<unknown>): Promise<{ code?: number; httpStatusCode?: number; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code?: number; httpStatusCode?: number; message: string };
  }
  assert.fail('expected the call to fail');
}

async function raw(sim: ComputeSim, path: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(`${sim.endpoint}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) },
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

describe('simulated Compute API: firewalls and operations', () => {
  it('insert returns a RUNNING operation; after wait the rule is stored with GCE defaults', () =>
    withSim({}, async (sim, c) => {
      const op = await insert(c, rule('nodelb-a'));
      assert.equal(op.kind, 'compute#operation');
      assert.equal(op.status, 'RUNNING');
      assert.equal(op.operationType, 'insert');
      assert.match(op.name ?? '', /^operation-\d+-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+$/);
      assert.equal(op.targetLink, `https://www.googleapis.com/compute/v1/projects/${P}/global/firewalls/nodelb-a`);
      const done = await waitDone(c, op);
      assert.equal(done.progress, 100);
      assert.ok(!done.error);

      const [got] = await c.firewalls.get({ project: P, firewall: 'nodelb-a' });
      assert.match(String(got.id), /^\d+$/);
      assert.equal(got.kind, 'compute#firewall');
      assert.equal(got.network, `https://www.googleapis.com/compute/v1/projects/${P}/global/networks/default`);
      assert.equal(got.direction, 'INGRESS');
      assert.equal(got.priority, 1000);
      assert.equal(got.disabled, false);
      assert.deepEqual(got.logConfig?.enable, false);
      assert.match(got.creationTimestamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}-07:00$/);
      assert.equal(got.selfLink, `https://www.googleapis.com/compute/v1/projects/${P}/global/firewalls/nodelb-a`);
      assert.deepEqual(got.allowed?.map((a) => [a.IPProtocol, a.ports]), [['tcp', ['80', '443']]]);
      assert.deepEqual(got.targetTags, ['gke-c1-0123abcd-node']);
      assert.equal(sim.control.getFirewall('nodelb-a')?.id, got.id);
    }));

  it('a duplicate insert is a synchronous 409 (gRPC code 10 over REST) and changes nothing', () =>
    withSim({}, async (sim, c) => {
      await waitDone(c, await insert(c, rule('dup')));
      const err = await rejection(insert(c, rule('dup', { description: 'other' })));
      assert.equal(err.code, 10);
      assert.equal(err.httpStatusCode, 409);
      assert.equal(err.message, `The resource 'projects/${P}/global/firewalls/dup' already exists`);
      assert.equal(sim.control.getFirewall('dup')?.description, '{"nodelb":"test"}');
    }));

  it('an operation that fails after acceptance ends DONE with an error and makes no change', () =>
    withSim({}, async (sim, c) => {
      sim.control.faults.add({ api: 'compute', method: 'POST', path: '/global/firewalls', operationError: 'QUOTA_EXCEEDED' });
      const op = await insert(c, rule('quota'));
      assert.equal(op.status, 'RUNNING');
      const done = await waitDone(c, op);
      assert.equal(done.status, 'DONE');
      assert.equal(done.error?.errors?.[0]?.code, 'QUOTA_EXCEEDED');
      assert.match(done.error?.errors?.[0]?.message ?? '', /Quota 'FIREWALLS' exceeded/);
      assert.equal(done.httpErrorStatusCode, 403);
      assert.equal(done.httpErrorMessage, 'FORBIDDEN');
      const err = await rejection(c.firewalls.get({ project: P, firewall: 'quota' }));
      assert.equal(err.code, 5);
      assert.equal(sim.control.faults.calls[0]?.fault, 'operationError:QUOTA_EXCEEDED');
    }));

  it('a retry with the same requestId returns the original operation and does not repeat the change', () =>
    withSim({}, async (sim, c) => {
      const id = '6f1c2b4e-8d3a-4e5f-9a7b-1c2d3e4f5a6b';
      const first = await insert(c, rule('idem'), id);
      const second = await insert(c, rule('idem'), id);
      assert.equal(second.name, first.name);
      assert.equal(second.id, first.id);
      assert.equal(sim.control.listFirewalls(P).filter((r) => r.name === 'idem').length, 1);
      assert.equal(sim.control.operations(P).length, 1);
      // Same id on a different request body still answers with the original operation.
      const third = await insert(c, rule('idem', { priority: 10 }), id);
      assert.equal(third.name, first.name);
      assert.equal(sim.control.getFirewall('idem')?.priority, 1000);
    }));

  it('an answer lost after the write was applied is recovered by retrying with the requestId', () =>
    withSim({}, async (sim, c) => {
      const id = '0b9e1d7c-5a4f-4c3b-8e2d-7f6a5b4c3d2e';
      sim.control.faults.add({ api: 'compute', method: 'DELETE', dropAfterApply: true });
      await waitDone(c, await insert(c, rule('lost')));
      const err = await rejection(c.firewalls.delete({ project: P, firewall: 'lost', requestId: id }));
      assert.ok(err.message.length > 0);
      assert.equal(sim.control.getFirewall('lost'), undefined, 'the delete was applied');
      // Without the requestId the retry would be a 404; with it, the original operation comes back.
      const [lro] = await c.firewalls.delete({ project: P, firewall: 'lost', requestId: id });
      const done = await waitDone(c, lro.latestResponse as IOperation);
      assert.equal(done.operationType, 'delete');
      assert.ok(!done.error);
      assert.deepEqual(
        sim.control.faults.calls.filter((x) => x.method === 'DELETE').map((x) => x.status),
        [0, 200],
      );
    }));

  it('patch merges: arrays given are replaced whole, fields not given are kept', () =>
    withSim({}, async (sim, c) => {
      await waitDone(c, await insert(c, rule('merge', { sourceRanges: ['10.0.0.0/8', '192.168.0.0/16'] })));
      const [lro] = await c.firewalls.patch({ project: P, firewall: 'merge', firewallResource: { allowed: [{ IPProtocol: 'udp', ports: ['53'] }] } });
      const done = await waitDone(c, lro.latestResponse as IOperation);
      assert.equal(done.operationType, 'patch');
      const got = sim.control.getFirewall('merge');
      assert.deepEqual(got?.allowed, [{ IPProtocol: 'udp', ports: ['53'] }]);
      assert.deepEqual(got?.sourceRanges, ['10.0.0.0/8', '192.168.0.0/16']);
      assert.deepEqual(got?.targetTags, ['gke-c1-0123abcd-node']);
      assert.equal(got?.description, '{"nodelb":"test"}');

      const [lro2] = await c.firewalls.patch({ project: P, firewall: 'merge', firewallResource: { sourceRanges: ['203.0.113.0/24'] } });
      await waitDone(c, lro2.latestResponse as IOperation);
      assert.deepEqual(sim.control.getFirewall('merge')?.sourceRanges, ['203.0.113.0/24']);

      const renamed = await rejection(c.firewalls.patch({ project: P, firewall: 'merge', firewallResource: { name: 'other' } }));
      assert.equal(renamed.httpStatusCode, 400);
      assert.match(renamed.message, /^Invalid value for field 'resource.name': 'other'/);
      const missing = await rejection(c.firewalls.patch({ project: P, firewall: 'nope', firewallResource: { priority: 5 } }));
      assert.equal(missing.code, 5);
      assert.equal(missing.message, `The resource 'projects/${P}/global/firewalls/nope' was not found`);
    }));

  it('update (PUT) replaces the rule and keeps id and creationTimestamp', () =>
    withSim({}, async (sim, c) => {
      await waitDone(c, await insert(c, rule('put')));
      const before = sim.control.getFirewall('put');
      const [lro] = await c.firewalls.update({ project: P, firewall: 'put', firewallResource: { name: 'put', allowed: [{ IPProtocol: 'icmp' }] } });
      await waitDone(c, lro.latestResponse as IOperation);
      const after = sim.control.getFirewall('put');
      assert.equal(after?.id, before?.id);
      assert.equal(after?.creationTimestamp, before?.creationTimestamp);
      assert.deepEqual(after?.allowed, [{ IPProtocol: 'icmp' }]);
      assert.equal(after?.targetTags, undefined, 'fields left out of a PUT are cleared');
      assert.deepEqual(after?.sourceRanges, ['0.0.0.0/0'], 'and defaults apply again');
    }));

  it('delete removes the rule; deleting it again is a 404', () =>
    withSim({}, async (sim, c) => {
      await waitDone(c, await insert(c, rule('del')));
      const [lro] = await c.firewalls.delete({ project: P, firewall: 'del' });
      await waitDone(c, lro.latestResponse as IOperation);
      assert.equal(sim.control.getFirewall('del'), undefined);
      const err = await rejection(c.firewalls.delete({ project: P, firewall: 'del' }));
      assert.equal(err.code, 5);
      assert.equal(err.httpStatusCode, 404);
    }));

  it('with a slow operation the change is invisible until DONE and the resource is busy', () =>
    withSim({ operationMs: 600_000, waitCapMs: 20 }, async (sim, c) => {
      const op = await insert(c, rule('slow'));
      assert.equal(sim.control.getFirewall('slow'), undefined);
      const [still] = await c.operations.wait({ project: P, operation: op.name ?? '' });
      assert.equal(still.status, 'RUNNING', 'wait returns at its cap with the operation still running');
      const again = await rejection(insert(c, rule('slow')));
      assert.equal(again.httpStatusCode, 409, 'the name is taken while the insert runs');
      sim.control.finishPendingOperations();
      const done = await waitDone(c, op);
      assert.equal(done.status, 'DONE');
      assert.ok(sim.control.getFirewall('slow'));

      const [lro] = await c.firewalls.patch({ project: P, firewall: 'slow', firewallResource: { priority: 7 } });
      const busy = await rejection(c.firewalls.patch({ project: P, firewall: 'slow', firewallResource: { priority: 8 } }));
      assert.equal(busy.httpStatusCode, 400);
      assert.equal(busy.message, `The resource 'projects/${P}/global/firewalls/slow' is not ready`);
      sim.control.finishPendingOperations();
      await waitDone(c, lro.latestResponse as IOperation);
      assert.equal(sim.control.getFirewall('slow')?.priority, 7);
    }));

  it('wait may return early; a client that loops until DONE still succeeds', () =>
    // Long enough to be RUNNING still at the first wait on a loaded machine (50 ms was not).
    withSim({ operationMs: 1000 }, async (sim, c) => {
      sim.control.returnWaitEarly(1);
      const op = await insert(c, rule('early'));
      const [first] = await c.operations.wait({ project: P, operation: op.name ?? '' });
      assert.equal(first.status, 'RUNNING');
      const done = await waitDone(c, op);
      assert.equal(done.status, 'DONE');
      const [byGet] = await c.operations.get({ project: P, operation: op.name ?? '' });
      assert.equal(byGet.status, 'DONE');
      assert.equal(sim.control.faults.counts('compute').writes, 1, 'waits and gets are reads');
    }));
});

describe('simulated Compute API: firewall validation', () => {
  const cases: [string, IFirewall, RegExp][] = [
    ['a bad name', { name: 'Bad_Name' }, /^Invalid value for field 'resource.name': 'Bad_Name'\. Must be a match of regex/],
    [
      '101 ports and ranges in total',
      {
        allowed: [
          { IPProtocol: 'tcp', ports: Array.from({ length: 60 }, (_, i) => String(1000 + i)) },
          { IPProtocol: 'udp', ports: Array.from({ length: 41 }, (_, i) => `${2000 + 2 * i}-${2001 + 2 * i}`) },
        ],
      },
      /^Invalid value for field 'resource.allowed\[1\]\.ports\[40\]'.*at most 100 ports and port ranges/,
    ],
    ['mixed IPv4 and IPv6 source ranges', { sourceRanges: ['0.0.0.0/0', '::/0'] }, /^Invalid value for field 'resource.sourceRanges\[1\]': '::\/0'\. Cannot mix IPv4 and IPv6/],
    ['a bad CIDR', { sourceRanges: ['10.0.0.0/33'] }, /resource.sourceRanges\[0\]/],
    ['ports on icmp', { allowed: [{ IPProtocol: 'icmp', ports: ['1'] }] }, /Ports may only be specified for the tcp, udp and sctp/],
    ['an unknown protocol', { allowed: [{ IPProtocol: 'quic' }] }, /resource.allowed\[0\]\.IPProtocol/],
    ['port 0', { allowed: [{ IPProtocol: 'tcp', ports: ['0'] }] }, /resource.allowed\[0\]\.ports\[0\]/],
    ['a reversed range', { allowed: [{ IPProtocol: 'tcp', ports: ['90-80'] }] }, /resource.allowed\[0\]\.ports\[0\]/],
    ['priority out of range', { priority: 70000 }, /resource.priority/],
    ['a bad target tag', { targetTags: ['Node_Tag'] }, /resource.targetTags\[0\]/],
    ['a too long description', { description: 'x'.repeat(2049) }, /resource.description/],
    ['a malformed network', { network: 'default' }, /resource.network': 'default'\. The URL is malformed/],
    ['another project\'s network', { network: 'projects/host/global/networks/shared' }, /Cross-project references/],
  ];
  for (const [what, override, message] of cases) {
    it(`rejects ${what} with 400 invalid`, () =>
      withSim({}, async (sim, c) => {
        sim.control.addNetwork('host', 'shared');
        const err = await rejection(insert(c, rule('v', override)));
        assert.equal(err.httpStatusCode, 400);
        assert.equal(err.code, 3);
        assert.match(err.message, message);
        assert.equal(sim.control.listFirewalls(P).length, 0);
      }));
  }

  it('accepts exactly 100 ports and an IPv6-only rule', () =>
    withSim({}, async (sim, c) => {
      const ports = Array.from({ length: 100 }, (_, i) => String(20000 + i));
      await waitDone(c, await insert(c, rule('hundred', { allowed: [{ IPProtocol: 'tcp', ports }] })));
      await waitDone(c, await insert(c, rule('six', { sourceRanges: ['::/0', '2001:db8::/32'] })));
      assert.equal(sim.control.getFirewall('hundred')?.allowed?.[0]?.ports?.length, 100);
      assert.deepEqual(sim.control.getFirewall('six')?.sourceRanges, ['::/0', '2001:db8::/32']);
    }));

  it('an unknown network is a 404 naming the network', () =>
    withSim({}, async (_sim, c) => {
      const err = await rejection(insert(c, rule('n', { network: 'global/networks/missing' })));
      assert.equal(err.code, 5);
      assert.equal(err.message, `The resource 'projects/${P}/global/networks/missing' was not found`);
    }));

  it('a Shared VPC rule lives in the host project and uses its network', () =>
    withSim({}, async (sim, c) => {
      sim.control.addNetwork('host', 'shared');
      const [lro] = await c.firewalls.insert({ project: 'host', firewallResource: rule('sv', { network: 'global/networks/shared' }) });
      const [done] = await c.operations.wait({ project: 'host', operation: (lro.latestResponse as IOperation).name ?? '' });
      assert.equal(done.status, 'DONE');
      assert.equal(sim.control.getFirewall('sv', 'host')?.network, 'https://www.googleapis.com/compute/v1/projects/host/global/networks/shared');
      assert.equal(sim.control.getFirewall('sv'), undefined);
    }));

  it('rejects JSON fields the Firewall message does not have (raw HTTP)', () =>
    withSim({}, async (sim) => {
      const res = await raw(sim, `/projects/${P}/global/firewalls`, {
        method: 'POST',
        body: JSON.stringify({ name: 'raw', allowed: [{ ipProtocol: 'tcp' }] }),
      });
      assert.equal(res.status, 400);
      const error = res.body.error as { message: string; status: string };
      assert.equal(error.message, `Invalid JSON payload received. Unknown name "ipProtocol" at 'resource.allowed[0]': Cannot find field.`);
      assert.equal(error.status, 'INVALID_ARGUMENT');
    }));
});

describe('simulated Compute API: instances', () => {
  function seed(sim: ComputeSim): void {
    const t = sim.control;
    t.putInstance({ zone: 'us-central1-a', name: 'gke-c1-pool-1', cluster: 'c1', tags: ['gke-c1-0123abcd-node'], natIP: '34.1.1.1' });
    t.putInstance({ zone: 'us-central1-a', name: 'gke-c1-pool-2', cluster: 'c1', tags: ['gke-c1-0123abcd-node'], natIP: '34.1.1.2', externalIpv6: '2600:1900:4000:1::', spot: true });
    t.putInstance({ zone: 'us-central1-c', name: 'gke-c1-pool-3', cluster: 'c1', tags: ['gke-c1-0123abcd-node'], natIP: '34.1.1.3' });
    t.putInstance({ zone: 'us-central1-c', name: 'gke-c2-pool-1', cluster: 'c2', nodePool: 'big', tags: ['gke-c2-89abcdef-node'], natIP: '34.2.2.1' });
    t.putInstance({ zone: 'europe-west1-b', name: 'lonely-vm', natIP: '35.9.9.9' });
    t.stopInstance({ zone: 'us-central1-c', name: 'gke-c1-pool-3' });
  }

  it('aggregatedListAsync yields every zone, with NO_RESULTS_ON_PAGE for empty ones, across pages', () =>
    withSim({}, async (sim, c) => {
      seed(sim);
      const names: string[] = [];
      const warnings: string[] = [];
      for await (const [scope, list] of c.instances.aggregatedListAsync({ project: P, maxResults: 2 }, NO_AUTOPAGINATE)) {
        for (const i of list.instances ?? []) names.push(`${scope}/${i.name}`);
        if (list.warning) warnings.push(`${scope}:${list.warning.code}`);
      }
      assert.deepEqual(names.sort(), [
        'zones/europe-west1-b/lonely-vm',
        'zones/us-central1-a/gke-c1-pool-1',
        'zones/us-central1-a/gke-c1-pool-2',
        'zones/us-central1-c/gke-c1-pool-3',
        'zones/us-central1-c/gke-c2-pool-1',
      ]);
      assert.ok(warnings.includes('zones/us-central1-b:NO_RESULTS_ON_PAGE'));
      assert.ok(warnings.includes('zones/us-central1-f:NO_RESULTS_ON_PAGE'));
      assert.equal(sim.control.faults.calls.length, 3, '5 instances at 2 per page');
    }));

  it('a raw aggregated page has GCE shape: every zone present, nextPageToken, warning data', () =>
    withSim({}, async (sim) => {
      seed(sim);
      const page = await raw(sim, `/projects/${P}/aggregated/instances?maxResults=2`);
      assert.equal(page.status, 200);
      assert.equal(page.body.kind, 'compute#instanceAggregatedList');
      assert.equal(typeof page.body.nextPageToken, 'string');
      const items = page.body.items as Record<string, { instances?: unknown[]; warning?: { code: string; message: string; data: unknown } }>;
      assert.deepEqual(Object.keys(items), ['zones/europe-west1-b', 'zones/us-central1-a', 'zones/us-central1-b', 'zones/us-central1-c', 'zones/us-central1-f']);
      // Sorted by zone then name: the first page holds europe-west1-b's VM and the first of us-central1-a.
      assert.equal(items['zones/europe-west1-b']?.instances?.length, 1);
      assert.equal(items['zones/us-central1-a']?.instances?.length, 1);
      assert.equal(items['zones/us-central1-c']?.warning?.code, 'NO_RESULTS_ON_PAGE');
      assert.deepEqual(items['zones/us-central1-b']?.warning, {
        code: 'NO_RESULTS_ON_PAGE',
        message: "There are no results for scope 'zones/us-central1-b' on this page.",
        data: [{ key: 'scope', value: 'zones/us-central1-b' }],
      });
      const next = await raw(sim, `/projects/${P}/aggregated/instances?maxResults=2&pageToken=${String(page.body.nextPageToken)}`);
      assert.equal(next.status, 200);
      const stale = await raw(sim, `/projects/${P}/aggregated/instances?maxResults=2&filter=name%3Dx&pageToken=${String(page.body.nextPageToken)}`);
      assert.equal(stale.status, 400, 'a page token only continues the query it came from');
      const tooMany = await raw(sim, `/projects/${P}/aggregated/instances?maxResults=501`);
      assert.equal(tooMany.status, 400);
    }));

  it('instance JSON looks like GCE: ids as strings, URLs, labels, tags, scheduling, IPv4 and IPv6 access', () =>
    withSim({}, async (sim, c) => {
      seed(sim);
      const [i] = await c.instances.get({ project: P, zone: 'us-central1-a', instance: 'gke-c1-pool-2' });
      assert.match(String(i.id), /^\d+$/);
      assert.equal(i.zone, `https://www.googleapis.com/compute/v1/projects/${P}/zones/us-central1-a`);
      assert.equal(i.machineType, `https://www.googleapis.com/compute/v1/projects/${P}/zones/us-central1-a/machineTypes/e2-medium`);
      assert.equal(i.status, 'RUNNING');
      assert.equal(i.labels?.['goog-k8s-cluster-name'], 'c1');
      assert.equal(i.labels?.['goog-k8s-node-pool-name'], 'default-pool');
      assert.deepEqual(i.tags?.items, ['gke-c1-0123abcd-node']);
      assert.equal(typeof i.tags?.fingerprint, 'string');
      assert.equal(i.scheduling?.provisioningModel, 'SPOT');
      assert.equal(i.scheduling?.preemptible, true);
      const nic = i.networkInterfaces?.[0];
      assert.equal(nic?.network, `https://www.googleapis.com/compute/v1/projects/${P}/global/networks/default`);
      assert.equal(nic?.stackType, 'IPV4_IPV6');
      assert.deepEqual(
        nic?.accessConfigs?.map((a) => [a.type, a.name, a.natIP, a.networkTier]),
        [['ONE_TO_ONE_NAT', 'external-nat', '34.1.1.2', 'PREMIUM']],
      );
      assert.deepEqual(nic?.ipv6AccessConfigs?.map((a) => [a.type, a.externalIpv6, a.externalIpv6PrefixLength]), [['DIRECT_IPV6', '2600:1900:4000:1::', 96]]);
      assert.match(i.creationTimestamp ?? '', /-07:00$/);

      const [stopped] = await c.instances.get({ project: P, zone: 'us-central1-c', instance: 'gke-c1-pool-3' });
      assert.equal(stopped.status, 'TERMINATED');
      const stoppedNat = stopped.networkInterfaces?.[0]?.accessConfigs?.[0];
      assert.equal(stoppedNat?.type, 'ONE_TO_ONE_NAT', 'the access config stays');
      assert.ok(!stoppedNat?.natIP, 'a stopped VM has released its ephemeral IP');
      sim.control.startInstance({ zone: 'us-central1-c', name: 'gke-c1-pool-3' }, { natIP: '34.1.1.33' });
      const [started] = await c.instances.get({ project: P, zone: 'us-central1-c', instance: 'gke-c1-pool-3' });
      assert.equal(started.networkInterfaces?.[0]?.accessConfigs?.[0]?.natIP, '34.1.1.33');

      const missing = await rejection(c.instances.get({ project: P, zone: 'us-central1-a', instance: 'nope' }));
      assert.equal(missing.code, 5);
      assert.equal(missing.message, `The resource 'projects/${P}/zones/us-central1-a/instances/nope' was not found`);
    }));

  const filters: [string, string[]][] = [
    ['labels.goog-k8s-cluster-name=c1', ['gke-c1-pool-1', 'gke-c1-pool-2', 'gke-c1-pool-3']],
    ['labels.goog-k8s-cluster-name eq c1', ['gke-c1-pool-1', 'gke-c1-pool-2', 'gke-c1-pool-3']],
    ['name eq gke-c.-pool-1', ['gke-c1-pool-1', 'gke-c2-pool-1']],
    ['name eq "gke-c1"', []],
    ['status = RUNNING', ['gke-c1-pool-1', 'gke-c1-pool-2', 'gke-c2-pool-1', 'lonely-vm']],
    ['labels.goog-k8s-cluster-name = "c1" AND status = RUNNING', ['gke-c1-pool-1', 'gke-c1-pool-2']],
    ['(labels.goog-k8s-cluster-name = c1) (status != RUNNING)', ['gke-c1-pool-3']],
    ['(labels.goog-k8s-cluster-name eq c2) (name ne .*-2)', ['gke-c2-pool-1']],
    ['labels.goog-k8s-cluster-name:*', ['gke-c1-pool-1', 'gke-c1-pool-2', 'gke-c1-pool-3', 'gke-c2-pool-1']],
    ['scheduling.provisioningModel = SPOT OR labels.goog-k8s-node-pool-name = big', ['gke-c1-pool-2', 'gke-c2-pool-1']],
  ];
  for (const [filter, expected] of filters) {
    it(`filter ${filter}`, () =>
      withSim({}, async (sim, c) => {
        seed(sim);
        const names: string[] = [];
        for await (const [, list] of c.instances.aggregatedListAsync({ project: P, filter }, NO_AUTOPAGINATE)) {
          for (const i of list.instances ?? []) names.push(i.name ?? '');
        }
        assert.deepEqual(names.sort(), expected);
      }));
  }

  for (const filter of ['name eq a AND status = RUNNING', '(name eq a) (status = RUNNING)', 'colour = blue', 'name = gke-*', 'name eq (?=x).*']) {
    it(`rejects the unsupported or invalid filter ${filter} with 400`, () =>
      withSim({}, async (sim) => {
        seed(sim);
        const res = await raw(sim, `/projects/${P}/aggregated/instances?filter=${encodeURIComponent(filter)}`);
        assert.equal(res.status, 400);
        assert.match((res.body.error as { message: string }).message, /^Invalid value for field 'filter'/);
      }));
  }
});

describe('simulated Compute API: lists, faults, auth, accounting', () => {
  it('firewall list filters by name regex and pages through 1000+ rules', () =>
    withSim({}, async (sim, c) => {
      for (let i = 0; i < 1005; i++) sim.control.putFirewall(rule(`nodelb-${String(i).padStart(4, '0')}`));
      sim.control.putFirewall(rule('foreign-rule'));
      let count = 0;
      for await (const r of c.firewalls.listAsync({ project: P, filter: 'name eq nodelb-.*' }, NO_AUTOPAGINATE)) {
        assert.match(r.name ?? '', /^nodelb-/);
        count++;
      }
      assert.equal(count, 1005);
      assert.equal(sim.control.faults.calls.length, 3, '500 per page');
      let exact = 0;
      for await (const r of c.firewalls.listAsync({ project: P, filter: 'name = "foreign-rule"' }, NO_AUTOPAGINATE)) exact += r.name === 'foreign-rule' ? 1 : 0;
      assert.equal(exact, 1);
    }));

  it('an injected 503 on a write fails the call and changes nothing', () =>
    withSim({}, async (sim, c) => {
      sim.control.faults.add({ api: 'compute', method: 'POST', path: '/global/firewalls', status: 503 });
      const err = await rejection(insert(c, rule('f503')));
      assert.equal(err.code, 14);
      assert.equal(err.httpStatusCode, 503);
      assert.equal(sim.control.getFirewall('f503'), undefined);
      await waitDone(c, await insert(c, rule('f503')));
      assert.ok(sim.control.getFirewall('f503'), 'the fault fired once');
    }));

  it('403 rateLimitExceeded carries Google error body and Retry-After (raw HTTP)', () =>
    withSim({}, async (sim, c) => {
      sim.control.faults.add({ api: 'compute', path: '/aggregated/instances', status: 403, reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded', retryAfterSeconds: 7 });
      const res = await raw(sim, `/projects/${P}/aggregated/instances`);
      assert.equal(res.status, 403);
      assert.equal(res.headers.get('retry-after'), '7');
      assert.deepEqual(res.body, {
        error: { code: 403, message: 'Rate Limit Exceeded', errors: [{ message: 'Rate Limit Exceeded', domain: 'usageLimits', reason: 'rateLimitExceeded' }] },
      });
      sim.control.faults.add({ api: 'compute', method: 'POST', status: 403, reason: 'CONCURRENT_OPERATIONS_QUOTA_EXCEEDED', message: 'Too many concurrent operations' });
      const err = await rejection(insert(c, rule('rl')));
      assert.equal(err.code, 7);
      assert.equal(err.message, 'Too many concurrent operations');
    }));

  it('a dropped connection on an idempotent GET is retried by the client; the sim records both', () =>
    withSim({}, async (sim, c) => {
      sim.control.putFirewall(rule('dropme'));
      sim.control.faults.add({ api: 'compute', method: 'GET', drop: true });
      const [got] = await c.firewalls.get({ project: P, firewall: 'dropme' });
      assert.equal(got.name, 'dropme');
      assert.deepEqual(sim.control.faults.calls.map((x) => [x.status, x.fault]), [
        [0, 'drop'],
        [200, undefined],
      ]);
    }));

  it('a delayed answer still arrives, and emptyList answers a list with nothing', () =>
    withSim({ latencyMs: 1 }, async (sim, c) => {
      sim.control.putFirewall(rule('x'));
      sim.control.faults.add({ api: 'compute', method: 'GET', delayMs: 30 }).add({ api: 'compute', method: 'GET', emptyList: true });
      const [first] = await c.firewalls.list({ project: P });
      assert.equal(first.length, 1);
      const [second] = await c.firewalls.list({ project: P });
      assert.equal(second.length, 0);
      assert.deepEqual(sim.control.faults.calls.map((x) => x.fault), ['delay:30', 'emptyList']);
    }));

  it('requires a Bearer token: 401 UNAUTHENTICATED with Google error bodies', () =>
    withSim({}, async (sim) => {
      const none = await fetch(`${sim.endpoint}/projects/${P}/global/firewalls`);
      assert.equal(none.status, 401);
      const body = (await none.json()) as { error: { status: string; errors: { reason: string }[] } };
      assert.equal(body.error.status, 'UNAUTHENTICATED');
      assert.equal(body.error.errors[0]?.reason, 'required');
      const wrong = await raw(sim, `/projects/${P}/global/firewalls`, { headers: { authorization: 'Bearer nope' } });
      assert.equal(wrong.status, 401);
      assert.equal((wrong.body.error as { errors: { reason: string }[] }).errors[0]?.reason, 'authError');
      assert.deepEqual(sim.control.faults.counts('compute'), { reads: 2, writes: 0 });
    }));

  it('unknown projects, zones, query parameters and paths are refused like GCE does', () =>
    withSim({ faults: new FaultPlan() }, async (sim) => {
      const project = await raw(sim, '/projects/ghost/global/firewalls');
      assert.equal(project.status, 404);
      assert.equal((project.body.error as { message: string }).message, "The resource 'projects/ghost' was not found");
      const zone = await raw(sim, `/projects/${P}/zones/mars-1a/instances`);
      assert.equal(zone.status, 400);
      const param = await raw(sim, `/projects/${P}/global/firewalls?colour=blue`);
      assert.equal(param.status, 400);
      const page = await fetch(`${sim.endpoint}/projects/${P}/global/nothing`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(page.status, 404);
      assert.match(await page.text(), /Error 404 \(Not Found\)/);
    }));

  it('supports the fields partial-response parameter', () =>
    withSim({}, async (sim) => {
      sim.control.putInstance({ zone: 'us-central1-a', name: 'n1', natIP: '34.0.0.1', cluster: 'c1' });
      const res = await raw(sim, `/projects/${P}/aggregated/instances?fields=${encodeURIComponent('items/*/instances(name,networkInterfaces/accessConfigs/natIP),nextPageToken')}`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { items: { 'zones/us-central1-a': { instances: [{ name: 'n1', networkInterfaces: [{ accessConfigs: [{ natIP: '34.0.0.1' }] }] }] } } });
    }));
});
