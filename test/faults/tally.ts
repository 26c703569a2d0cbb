// Counts what the fault-injection suite did — scenarios, syncs, faults injected (from the fault
// proxy's and the sims' call logs), bad inputs tried — per test file, and merges every file's counts into TALLY.md in
// the temp directory (or NODELB_TALLY_MD): a test run writes nothing into the source tree.
// node --test runs each file in its own process, so files meet on disk. Does I/O (temp files).
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CallRecord } from '../sim/faults.ts';

export interface FileTally {
  file: string;
  scenarios: string[]; // one per row test or randomized run
  syncs: number;
  faults: number; // calls the sims answered with an injected fault
  crashes: number; // syncs cut off by crashAfterWrites (their dropped calls count as faults too)
  faultKinds: Record<string, number>;
  badInputs: Record<string, number>; // hostile or broken inputs tried, by kind
}

const DIR = join(tmpdir(), 'nodelb-fault-tally');
const SUITE_DIR = fileURLToPath(new URL('.', import.meta.url));
export const TALLY_MD = process.env.NODELB_TALLY_MD || join(DIR, 'TALLY.md');

const current: FileTally = { file: '', scenarios: [], syncs: 0, faults: 0, crashes: 0, faultKinds: {}, badInputs: {} };

/** "status:503" and "status 503" (the two sims' spellings) count as one kind. */
function kindOf(fault: string): string {
  return fault.replace(/^status[ :](\d+)(:.*)?$/, (_, code: string, reason?: string) => `status ${code}${reason ? ` ${reason.slice(1)}` : ''}`).replace(/^delay:\d+$/, 'delay');
}

export const tally = {
  scenario(name: string): void {
    current.scenarios.push(name);
  },
  sync(): void {
    current.syncs++;
  },
  crash(): void {
    current.crashes++;
  },
  /** Counts the injected faults among these calls (each call answered with a fault counts once). */
  faultsIn(calls: readonly CallRecord[]): number {
    let n = 0;
    for (const c of calls) {
      if (c.fault === undefined || c.fault === 'none') continue;
      n++;
      const kind = `${c.api} ${kindOf(c.fault)}`;
      current.faultKinds[kind] = (current.faultKinds[kind] ?? 0) + 1;
    }
    current.faults += n;
    return n;
  },
  badInput(kind: string, n = 1): void {
    current.badInputs[kind] = (current.badInputs[kind] ?? 0) + n;
  },
  get current(): Readonly<FileTally> {
    return current;
  },
};

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

function merge(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

export interface Totals {
  files: FileTally[];
  scenarios: number;
  syncs: number;
  faults: number;
  crashes: number;
  badInputs: number;
  faultKinds: Record<string, number>;
  badInputKinds: Record<string, number>;
}

/** Saves this file's counts, merges those of every suite file present, rewrites TALLY_MD. */
export function writeTally(testFileUrl: string): Totals {
  current.file = basename(fileURLToPath(testFileUrl));
  mkdirSync(DIR, { recursive: true });
  writeFileSync(join(DIR, `${current.file}.json`), JSON.stringify(current));
  const suiteFiles = new Set(readdirSync(SUITE_DIR).filter((f) => f.endsWith('.test.ts')));
  const files: FileTally[] = readdirSync(DIR)
    .filter((f) => f.endsWith('.json') && suiteFiles.has(f.slice(0, -'.json'.length)))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as FileTally);
  const totals: Totals = { files, scenarios: 0, syncs: 0, faults: 0, crashes: 0, badInputs: 0, faultKinds: {}, badInputKinds: {} };
  for (const f of files) {
    totals.scenarios += f.scenarios.length;
    totals.syncs += f.syncs;
    totals.faults += f.faults;
    totals.crashes += f.crashes ?? 0;
    totals.badInputs += sum(f.badInputs);
    merge(totals.faultKinds, f.faultKinds);
    merge(totals.badInputKinds, f.badInputs);
  }
  if (existsSync(dirname(TALLY_MD))) {
    const tmp = `${TALLY_MD}.${process.pid}.tmp`;
    writeFileSync(tmp, render(totals));
    renameSync(tmp, TALLY_MD);
  }
  return totals;
}

function table(rows: [string, number][]): string[] {
  return ['| kind | count |', '|---|---:|', ...rows.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([k, v]) => `| ${k} | ${v} |`)];
}

function render(t: Totals): string {
  return [
    '# Fault-injection suite: tally',
    '',
    'Written by the suite itself (test/faults/tally.ts) at the end of each test file, from the',
    "counts of every file's last run; the numbers are never typed in by hand.",
    '',
    `- Scenarios: **${t.scenarios}** (matrix rows and randomized runs)`,
    `- Syncs run: **${t.syncs}**`,
    `- Faults injected: **${t.faults}** (calls the fault proxy or the simulated Google APIs answered with a fault)`,
    `- Crashes simulated: **${t.crashes}** (syncs cut off after their k-th write; the calls they lost are among the faults)`,
    `- Bad inputs tried: **${t.badInputs}**`,
    '',
    '## Per file',
    '',
    '| file | scenarios | syncs | faults | crashes | bad inputs |',
    '|---|---:|---:|---:|---:|---:|',
    ...t.files.map((f) => `| ${f.file} | ${f.scenarios.length} | ${f.syncs} | ${f.faults} | ${f.crashes ?? 0} | ${sum(f.badInputs)} |`),
    '',
    '## Faults by kind',
    '',
    ...table(Object.entries(t.faultKinds)),
    '',
    '## Bad inputs by kind',
    '',
    ...table(Object.entries(t.badInputKinds)),
    '',
  ].join('\n');
}
