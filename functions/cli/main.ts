#!/usr/bin/env node
// The `nodelb` command's entry point: hands argv, the environment and the standard streams to
// runCli and exits with its status (core/outcome.ts: 0 done, 1 failed, 2 refused or bad usage).
import { runCli } from './run.ts';

try {
  process.exitCode = await runCli(process.argv.slice(2), process.env, { stdout: process.stdout, stderr: process.stderr });
} catch (e) {
  // syncAll reports its own failures; reaching here is a bug, so show the stack.
  process.stderr.write(`nodelb: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
}
