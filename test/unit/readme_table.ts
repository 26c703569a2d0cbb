// The README's configuration table, generated from config.ts's VARIABLES and the CLI flags
// derived from them. `npm run docs:config` rewrites the section between the config-table
// markers; test/unit/readme_config.test.ts fails when the README differs from this text.
import { readFileSync, writeFileSync } from 'node:fs';
import { VARIABLES } from '../../functions/config.ts';
import { CONFIG_FLAGS } from '../../functions/cli/flags.ts';

export const README = new URL('../../README.md', import.meta.url);
const START = '<!-- config-table:start -->';
const END = '<!-- config-table:end -->';

export function configTable(): string {
  const flags = new Map(CONFIG_FLAGS.map((f) => [f.env, f]));
  const rows = VARIABLES.map(({ env, kind, meaning }) => {
    const f = flags.get(env);
    const flag = f === undefined ? '—' : f.boolean ? `\`--${f.defaultOn ? 'no-' : ''}${f.long}\`` : `\`--${f.long}\``;
    const dflt = kind.default.startsWith('(') ? kind.default : `\`${kind.default}\``;
    return `| \`${env}\` | ${flag} | ${dflt} | ${meaning} |`;
  });
  return ['| variable | flag | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** The README with its configuration section replaced by the generated table. */
export function withConfigTable(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md lacks the ${START} … ${END} markers`);
  return `${readme.slice(0, start + START.length)}\n${configTable()}\n${readme.slice(end)}`;
}

// `npm run docs:config`
if (import.meta.main) {
  const before = readFileSync(README, 'utf8');
  const after = withConfigTable(before);
  if (after !== before) writeFileSync(README, after);
  process.stdout.write(after === before ? 'README.md: configuration table already current\n' : 'README.md: configuration table rewritten\n');
}
