#!/usr/bin/env node
// `npx nodelb …` from a checkout, right after `npm ci`: runs the TypeScript CLI with the project's
// own Node 24 (the `node` devDependency) whatever Node started this shim, so no build step is needed.
import { spawnSync } from 'node:child_process';
import process from 'node:process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'functions', 'cli', 'main.ts');
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
// Type stripping without a flag: Node ≥ 22.18 (and 23.6+); client-node 2.x needs ≥ 22.19.
if (major > 22 || (major === 22 && minor >= 19)) {
  await import(main);
} else {
  const own = join(root, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(own)) {
    process.stderr.write(`nodelb: needs Node ≥ 22.19 (this is ${process.version}); run \`npm ci\` in ${root} to get the project's own Node 24\n`);
    process.exit(2);
  }
  const r = spawnSync(own, [main, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
