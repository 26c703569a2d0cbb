// `npm run demo` as a newcomer runs it: exits 0, shows the first sync, the Services with their
// IPs, the firewall rules, the IP change followed, and an unchanged sync without writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

test('npm run demo exits 0 and shows the IP change followed', async () => {
  const scripts = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> }).scripts;
  assert.equal(scripts.demo, 'node test/cluster/demo.ts', 'this test runs what npm run demo runs');
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? ROOT };
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ['test/cluster/demo.ts'], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 }, (err, out, errOut) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout: out, stderr: errOut }),
    );
  });
  assert.equal(code, 0, `stdout:\n${stdout}\nstderr:\n${stderr}`);
  assert.match(stdout, /^1\. First sync/m);
  assert.match(stdout, /^ {2}\+ createDaemonSet /m);
  assert.match(stdout, /^ {2}default +web +203\.0\.113\.11,/m, 'web is published (the IP list may wrap)');
  assert.match(stdout, /^ {2}default +bastion +<pending> /m);
  assert.match(stdout, /^ {2}NAME +ALLOWS +SOURCES +TARGET TAG$/m);
  // The IP change: old list, then the new one with the spot node's new address.
  assert.match(stdout, /default\/web EXTERNAL-IP: 203\.0\.113\.11,203\.0\.113\.12,203\.0\.113\.21,203\.0\.113\.22\n +→ +[\d.,]*198\.51\.100\.7/);
  assert.match(stdout, /saw \d+ reads and 0 writes/);
  assert.ok(stdout.split('\n').every((l) => l.length <= 100), 'fits a 100-column terminal');
  assert.ok(!stdout.includes('\u001b['), 'no colours when stdout is not a terminal');
});
