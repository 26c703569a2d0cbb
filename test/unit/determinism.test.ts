// Determinism: the same world in any order gives the same plan, byte for byte; the plan's
// actions come in the fixed kind order and every one says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Snapshot } from '../../functions/core/model.ts';
import { plan, planExplained } from '../../functions/core/plan.ts';
import { aConfig } from './builders.ts';
import { variedWorld } from './varied_world.ts';
import { converge } from './world.ts';
import { actionsOf } from '../../functions/core/stages.ts';

/** A seeded shuffle (mulberry32), so a failure can be replayed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function shuffleWorld(w: Snapshot, seed: number): Snapshot {
  return {
    ...w,
    services: shuffled(w.services, seed),
    namespaces: shuffled(w.namespaces, seed + 1),
    nodes: shuffled(w.nodes, seed + 2),
    daemonSets: shuffled(w.daemonSets, seed + 3),
    pods: shuffled(w.pods, seed + 4),
    endpoints: shuffled(w.endpoints, seed + 5),
    instances: w.instances && shuffled(w.instances, seed + 6),
    firewalls: w.firewalls && shuffled(w.firewalls, seed + 7),
  };
}

const config = aConfig({ maxIPs: 3 });

for (const [label, world] of [
  ['a fresh world', variedWorld()],
  ['a half-converged world', converge(variedWorld(), config, 1).snapshot],
] as const) {
  for (const seed of [1, 2, 3, 42, 1234]) {
    test(`determinism: ${label}, shuffled with seed ${seed}, plans identically`, () => {
      const want = JSON.stringify(planExplained(world, config));
      assert.equal(JSON.stringify(planExplained(shuffleWorld(world, seed), config)), want);
    });
  }
}

test('stages come in the fixed order, each action in the stage its kind belongs to, with a reason', () => {
  const p = plan(variedWorld(), config);
  const order = ['objects', 'status', 'events', 'new-status', 'new-events', 'deletions'];
  const positions = p.stages.map((s) => order.indexOf(s.name));
  assert.deepEqual(positions, [...positions].sort((a, b) => a - b), 'stages in order');
  assert.ok(!positions.includes(-1), `known stages only: ${p.stages.map((s) => s.name).join(', ')}`);
  const stageOf: Record<string, string[]> = {
    createDaemonSet: ['objects'], updateDaemonSet: ['objects'], createFirewall: ['objects'], patchFirewall: ['objects'],
    writeStatus: ['status', 'new-status'], recordEvent: ['events', 'new-events'], deleteFirewall: ['deletions'], deleteDaemonSet: ['deletions'],
  };
  for (const s of p.stages) for (const a of s.actions) assert.ok(stageOf[a.kind]?.includes(s.name), `${a.kind} in stage ${s.name}`);
  assert.ok(p.stages.length >= 3 && actionsOf(p).length > 10, `a busy plan (${actionsOf(p).length} actions in ${p.stages.length} stages)`);
  for (const a of actionsOf(p)) assert.ok(a.reason.length > 10, `${a.kind} has a reason: "${a.reason}"`);
});

test('services are explained in namespace/name order', () => {
  const keys = plan(shuffleWorld(variedWorld(), 9), config).services.map((s) => `${s.service.namespace}/${s.service.name}`);
  assert.deepEqual(keys, [...keys].sort());
});

// A plan is plain data: no getter or closure that plans again when read, so a copy, its JSON
// and the plan itself say the same, and reading it twice gives the same answer.
for (const [name, planner] of [['plan', plan], ['planExplained', planExplained]] as const) {
  test(`${name}: the plan is plain data (structuredClone and JSON keep all of it)`, () => {
    const p = planner(converge(variedWorld(), config, 1).snapshot, config);
    assert.deepStrictEqual(structuredClone(p), p);
    const json = JSON.stringify(p);
    assert.deepStrictEqual(JSON.parse(json), p);
    assert.equal(JSON.stringify(p), json, 'stable when read again');
    const accessors = (o: unknown): string[] =>
      o === null || typeof o !== 'object'
        ? []
        : Object.entries(Object.getOwnPropertyDescriptors(o)).flatMap(([k, d]) => (d.get || d.set ? [k] : accessors(d.value)));
    assert.deepEqual(accessors(p), [], 'no getters anywhere in the plan');
    assert.ok(actionsOf(p).some((a) => a.kind === 'writeStatus') && p.services.length > 3, 'a plan with status writes and explanations');
    assert.equal(p.services.some((s) => s.nodes !== undefined), name === 'planExplained', 'node decisions only when asked');
  });
}

test('plan does not modify its input', () => {
  const world = variedWorld();
  const before = JSON.stringify(world);
  plan(world, config);
  assert.equal(JSON.stringify(world), before);
});
