// Builds the README's configuration table from ENV_DOCS and the CLI's flag table (pure).
import { ENV_DOCS } from '../../functions/config.ts';
import { CONFIG_FLAGS } from '../../functions/cli/flags.ts';

export function configTable(): string {
  const flags = new Map(CONFIG_FLAGS.map((f) => [f.env, f]));
  const rows = Object.entries(ENV_DOCS).map(([env, doc]) => {
    const f = flags.get(env);
    const flag = f === undefined ? '—' : f.boolean ? `\`--${f.defaultOn ? 'no-' : ''}${f.long}\`` : `\`--${f.long}\``;
    const dflt = doc.default.startsWith('(') ? doc.default : `\`${doc.default}\``;
    return `| \`${env}\` | ${flag} | ${dflt} | ${doc.meaning} |`;
  });
  return ['| variable | flag | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
