// Loading functions/index.ts must not load the heavy clients: the framework should be serving
// before @kubernetes/client-node, the Google libraries or the config parser (zod) are read (they
// load on the first invocation). Checked in a fresh process with a module-resolution hook; no
// timing involved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const PROBE = `
import { registerHooks } from 'node:module';
const seen = new Set();
registerHooks({
  resolve(specifier, context, next) {
    const r = next(specifier, context);
    seen.add(r.url);
    return r;
  },
});
const { getFunction } = await import('@google-cloud/functions-framework/testing');
await import('./functions/index.ts');
process.stdout.write(JSON.stringify({
  registered: ['nodelbHttp', 'nodelbEvent'].filter((n) => typeof getFunction(n) === 'function'),
  modules: [...seen],
}));
`;

test('importing the entry module registers both functions and loads no heavy client', () => {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', PROBE], { cwd: ROOT, encoding: 'utf8' });
  const { registered, modules } = JSON.parse(out) as { registered: string[]; modules: string[] };
  assert.deepEqual(registered, ['nodelbHttp', 'nodelbEvent']);
  assert.ok(modules.some((u) => u.endsWith('/functions/handlers/cloud_event.ts')), 'the probe saw the handlers load');
  for (const heavy of ['@kubernetes/client-node', 'google-auth-library', '@google-cloud/compute', '@google-cloud/container', 'undici', 'zod', '/functions/config.ts', '/functions/runtime/sync.ts', '/functions/adapters/']) {
    const hits = modules.filter((u) => u.includes(heavy));
    assert.deepEqual(hits, [], `${heavy} must load lazily`);
  }
});
