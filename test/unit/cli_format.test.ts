// Unit tests for the CLI's formatting: report → Service rows, plan lines, text, and the status view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceExplanation } from '../../functions/core/model.ts';
import type { ClusterReport, RunReport } from '../../functions/runtime/report.ts';
import { formatPorts, formatSyncText, leftAlone, serviceRows } from '../../functions/cli/format_sync.ts';
import { formatStatusText, statusView } from '../../functions/cli/format_status.ts';
import { renderTable, wrap } from '../../functions/cli/table.ts';

const PLAIN = { color: false, width: 100 };
const FW = 'nodelb-1a2b3c4d-0123456789abcdef-ipv4';

function explanation(over: Partial<ServiceExplanation> & { name: string }): ServiceExplanation {
  const { name, ...rest } = over;
  return {
    service: { namespace: 'default', name, uid: `uid-${name}` },
    claimed: true,
    warnings: [],
    firewallRules: [],
    proxyPods: { ready: 0, total: 0 },
    nodes: [],
    ingress: [],
    ...rest,
  };
}

const web = explanation({
  name: 'web',
  ports: [
    { name: 'http', protocol: 'TCP', port: 80, nodePort: 31234 },
    { name: 'https', protocol: 'TCP', port: 443, nodePort: 31235 },
  ],
  ingress: ['34.1.0.1', '34.1.0.2'],
  daemonSet: 'nodelb-web-uidweb00',
  firewallRules: [FW],
  proxyPods: { ready: 2, total: 3 },
  nodes: [
    { node: 'node-a', externalIPs: ['34.1.0.1'], published: true, why: 'published' },
    { node: 'node-b', externalIPs: ['34.1.0.2'], published: true, why: 'published' },
    { node: 'node-c', externalIPs: ['34.1.0.3'], published: false, why: 'cordoned' },
  ],
});
const dns = explanation({
  name: 'dns',
  ports: [
    { protocol: 'TCP', port: 53, nodePort: 30053 },
    { protocol: 'UDP', port: 53, nodePort: 30053 },
  ],
  warnings: ['no Ready proxy pod yet'],
});
const ssh = explanation({ name: 'ssh', ports: [{ protocol: 'TCP', port: 22 }], refused: 'port 22/TCP is on the deny-list (22)' });
const other = explanation({ name: 'other', claimed: false, unclaimedBecause: 'loadBalancerClass is example.com/other' });

function cluster(over: Partial<ClusterReport> = {}): ClusterReport {
  return {
    cluster: 'projects/demo-project/locations/europe-west1/clusters/demo',
    runId: 'r1',
    outcome: 'done',
    ok: true,
    converged: true,
    retryable: false,
    dryRun: false,
    trigger: 'cli',
    durationMs: 120,
    rounds: 1,
    plan: {
      actions: [
        { kind: 'writeStatus', target: 'service default/web', reason: 'publish 2 node IPs (was [])', service: 'default/web', detail: '[] → [34.1.0.1, 34.1.0.2]' },
      ],
      services: [dns, other, ssh, web],
      notes: [{ severity: 'WARNING', message: 'node node-d has no external IP' }],
      heldBack: false,
    },
    results: [
      { kind: 'createDaemonSet', stage: 'objects', target: 'daemonset nodelb-system/nodelb-web-uidweb00', reason: 'Service default/web needs a proxy on its nodes (80/TCP, 443/TCP)', outcome: 'applied', durationMs: 5, round: 1 },
      { kind: 'createFirewall', stage: 'objects', target: `firewall demo-project/${FW}`, reason: 'open tcp:80,443 for Service default/web', outcome: 'failed', error: 'Required compute.firewalls.create permission', fix: 'grant roles/compute.securityAdmin', retryable: false, durationMs: 7, round: 1 },
      { kind: 'writeStatus', stage: 'status', target: 'service default/web', reason: 'publish 2 node IPs (was [])', service: 'default/web', change: '[] → [34.1.0.1, 34.1.0.2]', outcome: 'applied', durationMs: 3, round: 1 },
    ],
    calls: { reads: 9, writes: 3, byApi: {} },
    prerequisites: [{ name: 'pod-security', message: 'namespace nodelb-system is not labelled privileged', fix: 'kubectl label namespace nodelb-system …', blocking: false }],
    errors: [],
    ...over,
  };
}

const report = (c: ClusterReport): RunReport => ({ outcome: c.outcome, ok: c.ok, converged: c.converged, retryable: c.retryable, trigger: 'cli', clusters: [c] });

test('ports print as kubectl does: port:nodePort/protocol, comma-joined', () => {
  assert.equal(formatPorts(web.ports), '80:31234/TCP,443:31235/TCP');
  assert.equal(formatPorts([{ protocol: 'UDP', port: 53 }]), '53/UDP');
  assert.equal(formatPorts(undefined), '');
});

test('Service rows: claimed Services only, <pending> without IPs, refusals and warnings in WARNINGS', () => {
  assert.deepEqual(serviceRows(cluster()), [
    { namespace: 'default', name: 'dns', externalIP: '<pending>', ports: '53:30053/TCP,53:30053/UDP', warnings: 'no Ready proxy pod yet' },
    { namespace: 'default', name: 'ssh', externalIP: '<pending>', ports: '22/TCP', warnings: 'refused: port 22/TCP is on the deny-list (22)' },
    { namespace: 'default', name: 'web', externalIP: '34.1.0.1,34.1.0.2', ports: '80:31234/TCP,443:31235/TCP', warnings: '' },
  ]);
  assert.deepEqual(leftAlone(cluster()), ['default/other: loadBalancerClass is example.com/other']);
});

test('a failed status write shows as a warning on its Service', () => {
  const c = cluster({
    results: [{ kind: 'writeStatus', stage: 'status', target: 'service default/web', reason: 'publish', outcome: 'failed', error: 'conflict', durationMs: 1, round: 1 }],
  });
  assert.equal(serviceRows(c).find((r) => r.name === 'web')?.warnings, 'status not written: conflict');
});

test('sync text: plan lines with markers and outcomes, failures with fix, the Service table, notes', () => {
  const text = formatSyncText(report(cluster({ ok: false, converged: false })), PLAIN);
  const lines = text.split('\n');
  assert.deepEqual(lines.slice(0, 2), ['Cluster projects/demo-project/locations/europe-west1/clusters/demo', '  FAILED: 9 reads, 3 writes, 120 ms']);
  assert.ok(lines.includes('Plan and results'));
  const at = lines.indexOf('  + createDaemonSet daemonset nodelb-system/nodelb-web-uidweb00 (applied)');
  assert.ok(at > 0, 'one entry per action: marker, kind, target, outcome');
  assert.equal(lines[at + 1], '      Service default/web needs a proxy on its nodes (80/TCP, 443/TCP)');
  assert.ok(lines.includes(`  + createFirewall firewall demo-project/${FW} (FAILED)`));
  // The status line leads with the IP change the result carries.
  assert.ok(lines.includes('  ~ writeStatus service default/web (applied)'));
  assert.ok(lines.includes('      [] → [34.1.0.1, 34.1.0.2]: publish 2 node IPs (was [])'));
  assert.ok(lines.includes('Results: 2 applied, 1 failed'));
  const failed = lines.indexOf(`  failed createFirewall firewall demo-project/${FW}`);
  assert.ok(failed > 0);
  assert.deepEqual(lines.slice(failed + 1, failed + 3), ['      Required compute.firewalls.create permission', '      fix: grant roles/compute.securityAdmin']);
  assert.match(text, /^ {2}NAMESPACE +NAME +EXTERNAL-IP +PORT\(S\) +WARNINGS$/m);
  assert.match(text, /^ {2}default +web +34\.1\.0\.1,34\.1\.0\.2 +80:31234\/TCP,443:31235\/TCP$/m);
  assert.match(text, /^ {2}default +dns +<pending> +53:30053\/TCP,53:30053\/UDP +no Ready proxy pod yet$/m);
  assert.ok(lines.includes('Left alone'));
  assert.ok(lines.includes('  warning: node node-d has no external IP'));
  assert.ok(lines.includes('  check: namespace nodelb-system is not labelled privileged'));
  assert.ok(lines.every((l) => l.length <= 100), 'fits 100 columns');
  assert.ok(!text.includes('\u001b['), 'no colours when not asked');
});

test('sync text: every round shows what its actions changed, not only the last round', () => {
  const c = cluster({
    rounds: 2,
    plan: { actions: [], services: [web], notes: [], heldBack: false },
    results: [
      { kind: 'writeStatus', stage: 'status', target: 'service default/web', reason: 'set condition False/ProxyStarting', service: 'default/web', change: '[34.1.0.9] → []', outcome: 'applied', durationMs: 1, round: 1 },
      { kind: 'recordEvent', stage: 'events', target: 'event default/web PortConflict', reason: 'new problem with the Service', service: 'default/web', change: 'Warning PortConflict: port 443/TCP is already served by default/old', outcome: 'applied', durationMs: 1, round: 1 },
      { kind: 'writeStatus', stage: 'status', target: 'service default/web', reason: 'publish 2 node IPs (was [])', service: 'default/web', change: '[] → [34.1.0.1, 34.1.0.2]', outcome: 'applied', durationMs: 1, round: 2 },
    ],
  });
  const lines = formatSyncText(report(c), PLAIN).split('\n');
  assert.ok(lines.includes('      [34.1.0.9] → []: set condition False/ProxyStarting'), 'round 1 status change');
  assert.ok(lines.includes('      Warning PortConflict: port 443/TCP is already served by default/old'), 'round 1 Event, not just its reason');
  assert.ok(!lines.some((l) => l.includes('new problem with the Service')));
  assert.ok(lines.includes('      [] → [34.1.0.1, 34.1.0.2]: publish 2 node IPs (was [])'), 'round 2 status change');
});

test('dry-run text: plan without a result column, heading says nothing was written', () => {
  const c = cluster({
    dryRun: true,
    converged: false,
    results: [{ kind: 'deleteFirewall', stage: 'deletions', target: `firewall demo-project/${FW}`, reason: 'its Service default/gone is gone', outcome: 'dry-run', durationMs: 0, round: 1 }],
  });
  const text = formatSyncText(report(c), PLAIN);
  assert.match(text, /^ {2}changes pending \(dry run: nothing written\): 9 reads, 3 writes, 120 ms$/m);
  assert.match(text, new RegExp(`^  - deleteFirewall firewall demo-project/${FW}\n      its Service default/gone is gone$`, 'm'));
  assert.match(text, /^Services \(as this plan would publish them\)$/m);
  assert.doesNotMatch(text, /^Results/m);
});

test('a cluster that could not be reached shows only the error and its fix', () => {
  const c = cluster({
    ok: false,
    converged: false,
    rounds: 0,
    results: [],
    prerequisites: [],
    plan: { actions: [], services: [], notes: [], heldBack: false },
    errors: [{ stage: 'connect', message: 'getCluster: 403 permission denied', fix: 'grant container.clusters.get', retryable: false }],
  });
  assert.equal(
    formatSyncText(report(c), PLAIN),
    'Cluster projects/demo-project/locations/europe-west1/clusters/demo\n  FAILED: 9 reads, 3 writes, 120 ms\n\nProblems\n' +
      '  error while connecting\n      getCluster: 403 permission denied\n      fix: grant container.clusters.get\n',
  );
});

test('colour only when asked: markers and headings carry ANSI codes', () => {
  const text = formatSyncText(report(cluster()), { color: true, width: 100 });
  assert.ok(text.includes('\u001b[32m+\u001b[39m createDaemonSet'), 'a green + before the kind');
});

test('long reasons wrap on words; tables wrap their last column to the width', () => {
  assert.deepEqual(wrap('aaa bbb ccc dddddddddd', 7), ['aaa bbb', 'ccc', 'dddddddddd']);
  const long = 'word '.repeat(40).trim();
  const out = renderTable(['A', 'WHY'], [['x', long]], { color: false, width: 40 });
  assert.ok(out.split('\n').length > 2);
  assert.ok(out.split('\n').every((l) => l.length <= 40));
});

test('status view: nodes with reasons, proxy pods, firewall state, pending actions', () => {
  const c = cluster({
    dryRun: true,
    converged: false,
    plan: {
      actions: [
        { kind: 'patchFirewall', target: `firewall demo-project/${FW}`, reason: 'drifted', service: 'default/web', detail: 'sourceRanges: 10.0.0.0/8 → 0.0.0.0/0' },
        { kind: 'deleteDaemonSet', target: 'daemonset nodelb-system/nodelb-gone-12345678', reason: 'its Service is gone', service: 'default/gone' },
      ],
      services: [web, other],
      notes: [],
      heldBack: false,
    },
  });
  const view = statusView(report(c));
  const [cs] = view.clusters;
  assert.ok(cs);
  assert.equal(cs.inSync, false);
  const w = cs.services.find((s) => s.name === 'web');
  assert.deepEqual(w?.firewallRules, [{ name: FW, state: 'to patch: sourceRanges: 10.0.0.0/8 → 0.0.0.0/0' }]);
  assert.deepEqual(w?.proxyPods, { ready: 2, total: 3 });
  assert.equal(w?.pending.length, 1);
  assert.deepEqual(cs.otherActions.map((a) => a.kind), ['deleteDaemonSet']);

  const text = formatStatusText(view, PLAIN);
  assert.match(text, /^default\/web {3}EXTERNAL-IP 34\.1\.0\.1,34\.1\.0\.2 {3}PORT\(S\) 80:31234\/TCP,443:31235\/TCP$/m);
  assert.match(text, /^ {2}changes pending \(run nodelb sync\)$/m);
  assert.match(text, /^ {2}proxy pods: 2\/3 ready \(DaemonSet nodelb-web-uidweb00\)$/m);
  assert.match(text, /^ {2}NODE +EXTERNAL-IP +PUBLISHED +WHY$/m);
  assert.match(text, /^ {2}node-c +34\.1\.0\.3 +no +cordoned$/m);
  assert.match(text, /^ {2}nodelb-\S+ +to patch: sourceRanges/m);
  assert.match(text, /^ {2}default\/other: loadBalancerClass is example\.com\/other$/m);
  assert.match(text, /^ {2}- deleteDaemonSet daemonset nodelb-system\/nodelb-gone-12345678: its Service is gone$/m);
});

test('status view for one Service; a rule with no pending action is in sync', () => {
  const view = statusView(report(cluster({ plan: { actions: [], services: [web, dns], notes: [], heldBack: false } })), { namespace: 'default', name: 'web' });
  const [cs] = view.clusters;
  assert.deepEqual(cs?.services.map((s) => s.name), ['web']);
  assert.deepEqual(cs?.services[0]?.firewallRules, [{ name: FW, state: 'in sync' }]);
  assert.equal(cs?.inSync, true);
  assert.match(formatStatusText(view, PLAIN), /^Cluster \S+\n {2}in sync$/m);
  const none = statusView(report(cluster()), { namespace: 'default', name: 'nope' });
  assert.match(formatStatusText(none, PLAIN), /^no LoadBalancer Service default\/nope$/m);
});

test('status view: a rule with no pending action shows the state the planner observed', () => {
  const touchedNot = { ...web, firewallStates: [{ name: FW, state: 'not touched: its marker names uid x' }] };
  const view = statusView(report(cluster({ plan: { actions: [], services: [touchedNot], notes: [], heldBack: false } })));
  assert.deepEqual(view.clusters[0]?.services[0]?.firewallRules, [{ name: FW, state: 'not touched: its marker names uid x' }]);
  assert.match(formatStatusText(view, PLAIN), new RegExp(`^ {2}${FW} +not touched: its marker names uid x$`, 'm'));
});

test('a failed read is shown as unknown, never guessed: IPs as published now, PUBLISHED ?, no "in sync", no "no Service"', () => {
  const kept = explanation({
    name: 'web',
    ingress: ['34.1.0.1', '34.1.0.2'],
    ingressKept: 'instance read failed: node IPs unknown',
    daemonSet: 'nodelb-web-uidweb00',
    proxyPods: { ready: 2, total: 3, stuck: 1 },
    nodes: [{ node: 'node-a', externalIPs: [], published: false, unknown: true, why: 'instance read failed: node IPs unknown' }],
  });
  const failed = cluster({ outcome: 'failed', ok: false, converged: false, results: [], plan: { actions: [], services: [kept], notes: [], heldBack: true } });
  const status = formatStatusText(statusView(report(failed)), PLAIN);
  assert.match(status, /^default\/web {3}EXTERNAL-IP 34\.1\.0\.1,34\.1\.0\.2 \(as published now; instance read failed: node IPs unknown\)/m);
  assert.match(status, /^ {2}node-a +\? +\? +instance read failed: node IPs unknown$/m);
  assert.match(status, /^ {2}proxy pods: 2\/3 ready, 1 cannot run \(DaemonSet /m);
  const sync = formatSyncText(report(failed), PLAIN);
  assert.match(sync, /^ {2}no changes planned: some reads failed, so nothing is known to be in sync$/m);
  assert.doesNotMatch(sync, /everything is in sync|<pending>/);
  assert.equal(serviceRows(failed)[0]?.warnings, 'IPs as published now, kept: instance read failed: node IPs unknown');

  const unread = cluster({ outcome: 'failed', ok: false, converged: false, results: [], plan: { actions: [], services: [], notes: [], heldBack: true, unknown: 'nothing planned: without services nodelb cannot tell what exists' } });
  const text = formatStatusText(statusView(report(unread)), PLAIN);
  assert.match(text, /nothing planned: without services nodelb cannot tell what exists/);
  assert.doesNotMatch(text, /no Service of this load balancer class/);
  assert.doesNotMatch(formatSyncText(report(unread), PLAIN), /no Service of this load balancer class|everything is in sync/);
});
