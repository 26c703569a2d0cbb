// Firewall rules of the simulated GCE (in-memory state): the stored rules per project and the
// write paths (insert, patch, update, delete) that validate at acceptance and apply through an
// Operation. Control-plane writes (seeding, drift) go straight to the store.
import type { Firewall } from '../../../functions/adapters/apis.ts';
import { COMPUTE_URL, gceTimestamp, newId } from './ids.ts';
import { alreadyExists, invalidField, notFound, resourceNotReady } from './errors.ts';
import { checkFirewallJsonFields, mergePatch, normalizeFirewall, withoutOutputOnly } from './firewall_rules.ts';
import type { OperationJson, OperationStore } from './operations.ts';
import type { ProjectRegistry } from './projects.ts';

export interface WriteOptions {
  requestId?: string;
  failure?: { code: string; message: string; httpStatus: number };
}

export function firewallPath(project: string, name: string): string {
  return `projects/${project}/global/firewalls/${name}`;
}

export class FirewallStore {
  private readonly rules = new Map<string, Map<string, Firewall>>();
  private readonly projects: ProjectRegistry;
  private readonly ops: OperationStore;

  constructor(projects: ProjectRegistry, ops: OperationStore) {
    this.projects = projects;
    this.ops = ops;
  }

  private table(project: string): Map<string, Firewall> {
    let t = this.rules.get(project);
    if (!t) {
      t = new Map();
      this.rules.set(project, t);
    }
    return t;
  }

  get(project: string, name: string): Firewall | undefined {
    const r = this.rules.get(project)?.get(name);
    return r ? structuredClone(r) : undefined;
  }

  /** Stored rules, unsorted and shared: callers must not mutate them. */
  listShared(project: string): Firewall[] {
    return [...(this.rules.get(project)?.values() ?? [])];
  }

  list(project?: string): Firewall[] {
    const projects = project === undefined ? [...this.rules.keys()] : [project];
    return projects.flatMap((p) => this.listShared(p).map((r) => structuredClone(r)));
  }

  private stamp(project: string, rule: Firewall, previous?: Firewall): Firewall {
    return {
      kind: 'compute#firewall',
      id: previous?.id ?? newId(),
      creationTimestamp: previous?.creationTimestamp ?? gceTimestamp(Date.now()),
      ...rule,
      selfLink: `${COMPUTE_URL}/${firewallPath(project, rule.name ?? '')}`,
    };
  }

  /** Control plane: store a rule as given (validated unless `validate: false`), no operation. */
  put(project: string, rule: Firewall, opts: { validate?: boolean } = {}): Firewall {
    this.projects.addProject(project, { defaultNetwork: false });
    const body = withoutOutputOnly(rule);
    const normalized = opts.validate === false ? structuredClone(body) : normalizeFirewall(body, project, this.projects);
    const name = normalized.name ?? '';
    const stored = this.stamp(project, normalized, this.table(project).get(name));
    this.table(project).set(name, stored);
    return structuredClone(stored);
  }

  remove(project: string, name: string): boolean {
    return this.rules.get(project)?.delete(name) ?? false;
  }

  private targetKey(project: string, name: string): string {
    return `firewall:${firewallPath(project, name)}`;
  }

  private refuseIfBusy(project: string, name: string, forInsert: boolean): void {
    const pending = this.ops.pendingType(this.targetKey(project, name));
    if (pending === undefined) return;
    if (forInsert && pending !== 'delete') throw alreadyExists(firewallPath(project, name));
    throw resourceNotReady(firewallPath(project, name));
  }

  insert(project: string, body: unknown, w: WriteOptions): OperationJson {
    checkFirewallJsonFields(body);
    const rule = normalizeFirewall(withoutOutputOnly(body as Firewall), project, this.projects);
    const name = rule.name ?? '';
    this.refuseIfBusy(project, name, true);
    if (this.table(project).has(name)) throw alreadyExists(firewallPath(project, name));
    const id = newId();
    return this.ops.start({
      project,
      operationType: 'insert',
      targetLink: `${COMPUTE_URL}/${firewallPath(project, name)}`,
      targetId: id,
      targetKey: this.targetKey(project, name),
      requestId: w.requestId,
      failure: w.failure,
      apply: () => {
        if (this.table(project).has(name)) throw alreadyExists(firewallPath(project, name));
        this.table(project).set(name, this.stamp(project, rule, { id } as Firewall));
      },
    });
  }

  private existing(project: string, name: string): Firewall {
    const cur = this.table(project).get(name);
    if (!cur) throw notFound(firewallPath(project, name));
    return cur;
  }

  /** PATCH: JSON merge of the body into the stored rule, then the whole result is validated. */
  patch(project: string, name: string, body: unknown, w: WriteOptions): OperationJson {
    checkFirewallJsonFields(body);
    this.refuseIfBusy(project, name, false);
    const cur = this.existing(project, name);
    const patchBody = withoutOutputOnly(body as Firewall);
    return this.replaceWith(project, name, cur, mergePatch(withoutOutputOnly(cur), patchBody) as Firewall, 'patch', patchBody, w);
  }

  /** PUT: the body replaces the rule; fields it leaves out get their defaults again. */
  update(project: string, name: string, body: unknown, w: WriteOptions): OperationJson {
    checkFirewallJsonFields(body);
    this.refuseIfBusy(project, name, false);
    const cur = this.existing(project, name);
    const next = withoutOutputOnly(body as Firewall);
    return this.replaceWith(project, name, cur, { ...next, name: next.name ?? name }, 'update', next, w);
  }

  private replaceWith(project: string, name: string, cur: Firewall, merged: Firewall, operationType: string, sent: Firewall, w: WriteOptions): OperationJson {
    if (sent.name !== undefined && sent.name !== null && sent.name !== name) {
      throw invalidField('resource.name', sent.name, `The name in the request body must match the resource name '${name}' in the URL.`);
    }
    const rule = normalizeFirewall(merged, project, this.projects);
    if (rule.network !== cur.network) {
      throw invalidField('resource.network', sent.network, 'The network of an existing firewall rule cannot be changed.');
    }
    return this.ops.start({
      project,
      operationType,
      targetLink: `${COMPUTE_URL}/${firewallPath(project, name)}`,
      targetId: cur.id === undefined || cur.id === null ? undefined : String(cur.id),
      targetKey: this.targetKey(project, name),
      requestId: w.requestId,
      failure: w.failure,
      apply: () => {
        const latest = this.existing(project, name);
        this.table(project).set(name, this.stamp(project, rule, latest));
      },
    });
  }

  delete(project: string, name: string, w: WriteOptions): OperationJson {
    this.refuseIfBusy(project, name, false);
    const cur = this.existing(project, name);
    return this.ops.start({
      project,
      operationType: 'delete',
      targetLink: `${COMPUTE_URL}/${firewallPath(project, name)}`,
      targetId: cur.id === undefined || cur.id === null ? undefined : String(cur.id),
      targetKey: this.targetKey(project, name),
      requestId: w.requestId,
      failure: w.failure,
      apply: () => {
        this.existing(project, name);
        this.table(project).delete(name);
      },
    });
  }
}
