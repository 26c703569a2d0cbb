// The simulated Container (GKE) API driven by the real @google-cloud/container client over REST:
// getCluster fields, several clusters, toggles (Autopilot, DNS and private endpoints), the
// int-enum encoding the client asks for, 404s, faults and auth.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startContainerSim, type ClusterSpec, type ContainerSim, type ContainerSimOptions } from '../sim/container.ts';
import { containerClient } from './google_clients.ts';

const TOKEN = 'sim-token';
const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIBsim\n-----END CERTIFICATE-----\n').toString('base64');

function spec(name: string, extra: Partial<ClusterSpec> = {}): ClusterSpec {
  return {
    project: 'proj-a',
    location: 'us-central1',
    name,
    id: '0123abcd89ef4567aa55bb66cc77dd88',
    endpoint: '127.0.0.1:6443',
    caCertificate: CA,
    nodePools: [
      { name: 'default-pool', tags: ['web'], allowedUnsafeSysctls: ['net.ipv4.ip_forward'] },
      { name: 'spot-pool', spot: true, nodeCount: 1 },
    ],
    ...extra,
  };
}

async function withSim(opts: ContainerSimOptions, fn: (sim: ContainerSim, client: ReturnType<typeof containerClient>) => Promise<void>): Promise<void> {
  const sim = await startContainerSim({ token: TOKEN, ...opts });
  const client = containerClient(sim.port, TOKEN);
  try {
    await fn(sim, client);
  } finally {
    await client.close();
    await sim.close();
  }
}

async function rejection(p: Promise<unknown>): Promise<{ code?: number; httpStatusCode?: number; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code?: number; httpStatusCode?: number; message: string };
  }
  assert.fail('expected the call to fail');
}

describe('simulated Container API', () => {
  it('getCluster returns endpoint, CA, network, endpoints config, Autopilot and node pools', () =>
    withSim({ clusters: [spec('c1')] }, async (sim, client) => {
      const [c] = await client.getCluster({ name: 'projects/proj-a/locations/us-central1/clusters/c1' });
      assert.equal(c.name, 'c1');
      assert.equal(c.id, '0123abcd89ef4567aa55bb66cc77dd88');
      assert.equal(c.location, 'us-central1');
      assert.equal(c.endpoint, '127.0.0.1:6443');
      assert.equal(c.masterAuth?.clusterCaCertificate, CA);
      assert.equal(c.network, 'default');
      assert.equal(c.networkConfig?.network, 'projects/proj-a/global/networks/default');
      assert.equal(c.networkConfig?.subnetwork, 'projects/proj-a/regions/us-central1/subnetworks/default');
      assert.equal(c.status, 'RUNNING', 'the client decodes the int enum the sim sent');
      assert.match(c.currentMasterVersion ?? '', /^1\.\d+\.\d+-gke\.\d+$/);
      assert.equal(c.autopilot?.enabled, false);
      assert.equal(c.privateClusterConfig?.publicEndpoint, '127.0.0.1:6443');
      assert.equal(c.privateClusterConfig?.privateEndpoint, '10.128.0.2');
      assert.equal(c.privateClusterConfig?.enablePrivateNodes, false);
      assert.equal(c.controlPlaneEndpointsConfig?.dnsEndpointConfig?.endpoint, 'gke-0123abcd89ef4567aa55bb66cc77dd88.us-central1.gke.goog');
      assert.equal(c.controlPlaneEndpointsConfig?.dnsEndpointConfig?.allowExternalTraffic, false);
      assert.equal(c.controlPlaneEndpointsConfig?.ipEndpointsConfig?.enabled, true);
      assert.equal(c.controlPlaneEndpointsConfig?.ipEndpointsConfig?.enablePublicEndpoint, true);
      assert.deepEqual(c.locations, ['us-central1-a', 'us-central1-b', 'us-central1-c']);
      assert.deepEqual(
        c.nodePools?.map((p) => [p.name, p.config?.tags, p.config?.spot, p.config?.kubeletConfig?.allowedUnsafeSysctls ?? []]),
        [
          ['default-pool', ['web'], false, ['net.ipv4.ip_forward']],
          ['spot-pool', [], true, []],
        ],
      );
      assert.equal(sim.control.nodeTag({ project: 'proj-a', location: 'us-central1', name: 'c1' }), 'gke-c1-0123abcd-node');
    }));

  it('answers in int enums only when asked with $alt=json;enum-encoding=int (raw HTTP)', () =>
    withSim({ clusters: [spec('c1')] }, async (sim) => {
      const url = `${sim.endpoint}/projects/proj-a/locations/us-central1/clusters/c1`;
      const headers = { authorization: `Bearer ${TOKEN}` };
      const ints = (await (await fetch(`${url}?$alt=json%3Benum-encoding=int`, { headers })).json()) as Record<string, unknown>;
      const names = (await (await fetch(url, { headers })).json()) as Record<string, unknown>;
      assert.equal(ints.status, 2);
      assert.equal(names.status, 'RUNNING');
      assert.equal((ints.releaseChannel as { channel: unknown }).channel, 2);
      assert.equal((names.nodePools as { status: unknown }[])[0]?.status, 'RUNNING');
      assert.deepEqual(names.autopilot, {}, 'proto3 JSON leaves false booleans out');
    }));

  it('serves several clusters and reflects toggles of Autopilot, DNS endpoint and private endpoint', () =>
    withSim({ clusters: [spec('c1'), spec('c2', { location: 'europe-west1-b', id: 'ffee0011aabbccdd' })] }, async (sim, client) => {
      const [c2] = await client.getCluster({ name: 'projects/proj-a/locations/europe-west1-b/clusters/c2' });
      assert.deepEqual(c2.locations, ['europe-west1-b']);
      assert.equal(c2.networkConfig?.subnetwork, 'projects/proj-a/regions/europe-west1/subnetworks/default');

      const ref = { project: 'proj-a', location: 'us-central1', name: 'c1' };
      sim.control.updateCluster(ref, {
        autopilot: true,
        enablePublicEndpoint: false,
        privateNodes: true,
        dnsEndpoint: '127.0.0.1:7443',
        dnsAllowExternalTraffic: true,
      });
      const [c1] = await client.getCluster({ name: 'projects/proj-a/locations/us-central1/clusters/c1' });
      assert.equal(c1.id, '0123abcd89ef4567aa55bb66cc77dd88', 'the id survives updates');
      assert.equal(c1.autopilot?.enabled, true);
      assert.equal(c1.endpoint, '10.128.0.2', 'with the public endpoint off, endpoint is the private one');
      assert.equal(c1.privateClusterConfig?.enablePrivateEndpoint, true);
      assert.equal(c1.privateClusterConfig?.enablePrivateNodes, true);
      assert.equal(c1.privateClusterConfig?.publicEndpoint, '');
      assert.equal(c1.controlPlaneEndpointsConfig?.ipEndpointsConfig?.enablePublicEndpoint, false);
      assert.equal(c1.controlPlaneEndpointsConfig?.dnsEndpointConfig?.endpoint, '127.0.0.1:7443');
      assert.equal(c1.controlPlaneEndpointsConfig?.dnsEndpointConfig?.allowExternalTraffic, true);
      assert.equal(c1.networkConfig?.datapathProvider, 'ADVANCED_DATAPATH');

      const [list] = await client.listClusters({ parent: 'projects/proj-a/locations/-' });
      assert.deepEqual(list.clusters?.map((c) => c.name).sort(), ['c1', 'c2']);
    }));

  it('an unknown cluster is a 404 with a Google error body (gRPC code 5)', () =>
    withSim({ clusters: [spec('c1')] }, async (sim, client) => {
      const err = await rejection(client.getCluster({ name: 'projects/proj-a/locations/us-central1/clusters/nope' }));
      assert.equal(err.code, 5);
      assert.equal(err.httpStatusCode, 404);
      assert.equal(err.message, 'cluster "projects/proj-a/locations/us-central1/clusters/nope" not found');
      const raw = await fetch(`${sim.endpoint}/projects/proj-a/locations/us-central1/clusters/nope`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const body = (await raw.json()) as { error: { status: string; errors: { reason: string }[] } };
      assert.equal(body.error.status, 'NOT_FOUND');
      assert.equal(body.error.errors[0]?.reason, 'notFound');
    }));

  it('asks the composer\'s lookup for unregistered clusters and keeps their id stable', () => {
    let endpoint = '127.0.0.1:1111';
    return withSim({ lookup: (ref) => (ref.name === 'lazy' ? { ...spec('lazy', { id: undefined }), endpoint } : undefined) }, async (_sim, client) => {
      const [first] = await client.getCluster({ name: 'projects/proj-a/locations/us-central1/clusters/lazy' });
      endpoint = '127.0.0.1:2222';
      const [second] = await client.getCluster({ name: 'projects/proj-a/locations/us-central1/clusters/lazy' });
      assert.equal(first.endpoint, '127.0.0.1:1111');
      assert.equal(second.endpoint, '127.0.0.1:2222');
      assert.match(first.id ?? '', /^[0-9a-f]{32}$/);
      assert.equal(second.id, first.id);
    });
  });

  it('injected 503 and 403 reach the client with the status string; auth is required', () =>
    withSim({ clusters: [spec('c1')] }, async (sim, client) => {
      sim.control.faults.add({ api: 'container', status: 403, reason: 'forbidden', message: "Required 'container.clusters.get' permission" });
      const denied = await rejection(client.getCluster({ name: 'projects/proj-a/locations/us-central1/clusters/c1' }));
      assert.equal(denied.code, 7);
      assert.equal(denied.message, "Required 'container.clusters.get' permission");

      sim.control.faults.add({ api: 'container', status: 503, times: Infinity });
      const unavailable = await rejection(client.getCluster({ name: 'projects/proj-a/locations/us-central1/clusters/c1' }, { retry: null } as never));
      assert.equal(unavailable.code, 14);
      sim.control.faults.clear();

      const anon = await fetch(`${sim.endpoint}/projects/proj-a/locations/us-central1/clusters/c1`);
      assert.equal(anon.status, 401);
      assert.equal(((await anon.json()) as { error: { status: string } }).error.status, 'UNAUTHENTICATED');
      assert.ok(sim.control.faults.calls.every((c) => c.api === 'container' && !c.write));
    }));
});
