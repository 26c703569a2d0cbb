// `nodelb sync` text output: per cluster the plan (terraform-style markers), the results, the
// claimed Services as `kubectl get svc` would show them, then notes and prerequisites. Pure.
import type { ServiceExplanation, ServicePortView } from '../core/model.ts';
import type { ActionSummary, ClusterReport, RunReport } from '../runtime/report.ts';
import { indent, paint, renderTable, type TextOptions } from './table.ts';

type Result = ClusterReport['results'][number];
type Kind = ActionSummary['kind'];

const MARKERS: Record<Kind, string> = {
  createDaemonSet: '+',
  createFirewall: '+',
  updateDaemonSet: '~',
  patchFirewall: '~',
  writeStatus: '~',
  deleteDaemonSet: '-',
  deleteFirewall: '-',
  recordEvent: '*',
};

const MARKER_STYLE = { '+': 'green', '~': 'yellow', '-': 'red', '*': 'cyan' } as const;

export function marker(kind: Kind): string {
  return MARKERS[kind];
}

/** "80:31234/TCP,53/UDP", as kubectl prints PORT(S). */
export function formatPorts(ports: readonly ServicePortView[] | undefined): string {
  return (ports ?? []).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol}`).join(',');
}

export function formatIPs(ips: readonly string[]): string {
  return ips.length > 0 ? ips.join(',') : '<pending>';
}

export interface ServiceRow {
  namespace: string;
  name: string;
  externalIP: string;
  ports: string;
  warnings: string;
}

/** One row per claimed Service: the IPs this run published (or, in a dry run, would publish). */
export function serviceRows(cluster: ClusterReport): ServiceRow[] {
  const failedStatus = new Map<string, string>();
  for (const r of lastRoundResults(cluster))
    if (r.kind === 'writeStatus' && r.outcome === 'failed') failedStatus.set(r.target, r.error ?? 'failed');
  return cluster.plan.services
    .filter((s) => s.claimed)
    .map((s) => {
      const key = `${s.service.namespace}/${s.service.name}`;
      const statusError = failedStatus.get(`service ${key}`);
      return {
        namespace: s.service.namespace,
        name: s.service.name,
        // A write held back leaves the Service as it is: show that, and why, never a guess.
        externalIP: s.ingressKept !== undefined ? s.ingress.join(',') || '<none>' : formatIPs(s.ingress),
        ports: formatPorts(s.ports),
        warnings: [...(s.ingressKept !== undefined ? [`IPs as published now, kept: ${s.ingressKept}`] : []), ...serviceWarnings(s, statusError)].join('; '),
      };
    });
}

export function serviceWarnings(s: ServiceExplanation, statusError?: string): string[] {
  return [
    ...(s.refused ? [`refused: ${s.refused}`] : []),
    ...s.warnings,
    ...(statusError ? [`status not written: ${statusError}`] : []),
  ];
}

/** The Services nodelb saw but does not serve (another class, not a LoadBalancer). */
export function leftAlone(cluster: ClusterReport): string[] {
  return cluster.plan.services
    .filter((s) => !s.claimed)
    .map((s) => `${s.service.namespace}/${s.service.name}: ${s.unclaimedBecause ?? 'not claimed'}`);
}

/** What the plan line says after the target: the IP change first for status writes, the Event
 *  itself for Events. */
function describe(a: { kind: Kind; reason: string; detail?: string }): string {
  if (a.kind === 'writeStatus' && a.detail) return `${a.detail}: ${a.reason}`;
  if (a.kind === 'recordEvent' && a.detail) return a.detail;
  return a.reason;
}

const lastRoundResults = (c: ClusterReport): Result[] => c.results.filter((r) => r.round === c.rounds);

/** The actions of every round, each with its outcome and the change it made (every result
 *  carries it). Two lines each: marker, kind, target (and outcome), then why, indented, so long
 *  firewall names and reasons both stay readable in 100 columns. */
export function planLines(cluster: ClusterReport, opts: TextOptions): string[] {
  return cluster.results.flatMap((r) => {
    const m = marker(r.kind);
    const outcome = cluster.dryRun ? '' : r.outcome === 'failed' ? ` (${paint('red', 'FAILED', opts)})` : ` (${r.outcome})`;
    const why = describe({ kind: r.kind, reason: r.reason, detail: r.change });
    return [`  ${paint(MARKER_STYLE[m as keyof typeof MARKER_STYLE], m, opts)} ${r.kind} ${r.target}${outcome}`, ...indent(why, '      ', '      ', opts.width)];
  });
}

const STAGES: Record<ClusterReport['errors'][number]['stage'], string> = {
  connect: 'connecting',
  prerequisites: 'checking prerequisites',
  observe: 'reading',
  plan: 'planning',
  apply: 'applying',
  settle: 'waiting for the proxy pods',
};

function problems(cluster: ClusterReport, opts: TextOptions): string[] {
  const out: string[] = [];
  const detail = (text: string) => indent(text, '      ', '      ', opts.width);
  for (const e of cluster.errors) {
    out.push(`  ${paint('red', 'error', opts)} while ${STAGES[e.stage]}${e.retryable ? ' (a later run may succeed)' : ''}`);
    // The message may already end with the fix (describeError); say it once, on its own line.
    const message = e.fix && e.message.endsWith(` (fix: ${e.fix})`) ? e.message.slice(0, -` (fix: ${e.fix})`.length) : e.message;
    out.push(...detail(message), ...(e.fix ? detail(`fix: ${e.fix}`) : []));
  }
  for (const r of cluster.results) {
    if (r.outcome === 'failed') {
      out.push(`  ${paint('red', 'failed', opts)} ${r.kind} ${r.target}`, ...detail(r.error ?? 'unknown error'), ...(r.fix ? detail(`fix: ${r.fix}`) : []));
    } else if (r.outcome === 'skipped' && r.detail) {
      out.push(`  skipped ${r.kind} ${r.target}`, ...detail(r.detail));
    }
  }
  return out;
}

export function clusterVerdict(c: ClusterReport): string {
  if (c.outcome === 'refused') return 'REFUSED (a person must act first)';
  if (!c.ok) return 'FAILED';
  if (c.converged) return c.dryRun ? 'nothing to change' : 'converged';
  return c.dryRun ? 'changes pending' : 'done, some changes still pending (proxies starting: a later sync publishes them)';
}

function outcomeCounts(results: readonly Result[]): string {
  const counts = new Map<string, number>();
  for (const r of results) counts.set(r.outcome, (counts.get(r.outcome) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
}

export function formatCluster(c: ClusterReport, opts: TextOptions): string {
  const heading = (text: string) => ['', paint('bold', text, opts)];
  const cost = `${c.calls.reads} reads, ${c.calls.writes} writes, ${c.durationMs} ms${c.rounds > 1 ? `, ${c.rounds} rounds` : ''}`;
  const verdict = c.ok ? clusterVerdict(c) : paint('red', clusterVerdict(c), opts);
  const out = [paint('bold', `Cluster ${c.cluster}`, opts), `  ${verdict}${c.dryRun ? ' (dry run: nothing written)' : ''}: ${cost}`];

  // rounds 0: the cluster was never observed, so there is no plan and no Service to list.
  const observed = c.rounds > 0;
  if (observed) {
    out.push(...heading(c.dryRun ? 'Plan' : 'Plan and results'));
    // After a failed or distrusted read, an empty plan says nothing about being in sync.
    if (c.results.length === 0 && !c.ok && (c.plan.heldBack || c.plan.unknown !== undefined))
      out.push(...indent(`no changes planned: ${c.plan.unknown ?? 'some reads failed, so nothing is known to be in sync'}`, '  ', '    ', opts.width));
    else if (c.results.length === 0) out.push('  no changes: everything is in sync');
    else out.push(...planLines(c, opts));
  }

  const trouble = problems(c, opts);
  if (!c.dryRun && c.results.length > 0) out.push(...heading(`Results: ${outcomeCounts(c.results)}`), ...trouble);
  else if (trouble.length > 0) out.push(...heading('Problems'), ...trouble);

  if (observed) {
    const rows = serviceRows(c);
    out.push(...heading(c.dryRun ? 'Services (as this plan would publish them)' : 'Services'));
    if (rows.length === 0) out.push(...indent(c.plan.unknown ?? 'no Service of this load balancer class', '  ', '    ', opts.width));
    else {
      const cells = rows.map((r) => [r.namespace, r.name, r.externalIP, r.ports, r.warnings]);
      out.push(renderTable(['NAMESPACE', 'NAME', 'EXTERNAL-IP', 'PORT(S)', 'WARNINGS'], cells, opts, '  '));
    }
    const alone = leftAlone(c);
    if (alone.length > 0) out.push(...heading('Left alone'), ...alone.flatMap((l) => indent(l, '  ', '    ', opts.width)));
  }

  const notes = c.plan.notes.flatMap((n) => indent(n.message, `  ${n.severity === 'WARNING' ? paint('yellow', 'warning', opts) : 'note'}: `, '    ', opts.width));
  if (c.plan.heldBack) notes.push(...indent('deletions and IP withdrawals were held back because a read failed or looked wrong', '  note: ', '    ', opts.width));
  if (notes.length > 0) out.push(...heading('Notes'), ...notes);
  if (c.prerequisites.length > 0) {
    out.push(...heading('Prerequisites'));
    for (const p of c.prerequisites)
      out.push(...indent(p.message, `  ${p.blocking ? paint('red', 'missing', opts) : 'check'}: `, '    ', opts.width), ...indent(`fix: ${p.fix}`, '    ', '      ', opts.width));
  }
  return out.join('\n');
}

export function formatSyncText(report: RunReport, opts: TextOptions): string {
  const blocks = report.clusters.map((c) => formatCluster(c, opts));
  if (report.clusters.length === 0) blocks.push('no cluster to sync: pass --cluster or --kubeconfig, or set NODELB_CLUSTERS');
  return `${blocks.join('\n\n')}\n`;
}
