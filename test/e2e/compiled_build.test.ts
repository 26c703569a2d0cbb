// The artifact Cloud Functions runs: `tsc -p tsconfig.build.json` output, loaded by the
// functions-framework CLI from package.json#main, as the Node.js buildpack does. Proves the
// rewritten import paths (static and the lazy `import('../runtime/sync.js')`) resolve in the
// compiled build by running a real sync against a local GKE on the real control plane. Compiles
// into a temp dir with --noCheck (the same output; `npm run typecheck` checks the types), while
// the control plane starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunReport } from '../../functions/runtime/report.ts';
import { functionEnv, startFunctionWorld } from './function_world.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

test('functions-framework serves the compiled build; the lazy runtime import resolves', { timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nodelb-build-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const compile = promisify(execFile)(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--noCheck', '--outDir', join(dir, 'build')], { cwd: ROOT });
  const world = startFunctionWorld(['203.0.113.41', '203.0.113.42']);
  t.after(async () => (await world.catch(() => undefined))?.close()); // also when the compile failed
  const [w] = await Promise.all([world, compile]);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { type: string; main: string };
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'nodelb-built', type: pkg.type, main: pkg.main }));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const lazy = readFileSync(join(dir, 'build/functions/handlers/run_sync.js'), 'utf8');
  assert.match(lazy, /import\("\.\.\/runtime\/sync\.js"\)/, 'the dynamic import was rewritten to .js');

  await w.addService('web', [80]);

  const port = await freePort();
  const child = spawn(
    process.execPath,
    [join(ROOT, 'node_modules/@google-cloud/functions-framework/build/src/main.js'), '--target=nodelbHttp', `--source=${dir}`, `--port=${port}`],
    { cwd: dir, env: { PATH: process.env.PATH ?? '', ...functionEnv(w.gke) }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  t.after(() => {
    child.kill();
  });
  await new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (/URL: /.test(output)) {
        clearInterval(check);
        resolve();
      }
      if (child.exitCode !== null) {
        clearInterval(check);
        reject(new Error(`functions-framework exited: ${output}`));
      }
    }, 20);
  });
  assert.match(output, /Function: nodelbHttp/);

  const res = await fetch(`http://127.0.0.1:${port}/`);
  const report = (await res.json()) as RunReport;
  assert.equal(res.status, 200, `${output}\n${JSON.stringify(report)}`);
  assert.equal(report.converged, true);
  assert.deepEqual(await w.ingress('web'), ['203.0.113.41', '203.0.113.42']);
});
