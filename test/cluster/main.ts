// `npm run cluster [-- --nodes N --out DIR]` (does I/O): starts a local GKE on 127.0.0.1 — the
// real control plane, fake kubelets, simulated Compute and Container APIs — writes
// DIR/kubeconfig and DIR/env.sh, prints `ready`, and stops everything on SIGINT or SIGTERM.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalGke } from './local_gke.ts';

function usage(message: string): never {
  process.stderr.write(`cluster: ${message}\nusage: npm run cluster -- [--nodes N] [--out DIR]\n`);
  process.exit(2);
}

let values: { nodes: string; out: string };
try {
  values = parseArgs({ options: { nodes: { type: 'string', default: '3' }, out: { type: 'string', default: 'build/cluster' } }, strict: true }).values as typeof values;
} catch (err) {
  usage((err as Error).message);
}
const nodes = Number(values.nodes);
if (!Number.isInteger(nodes) || nodes < 0 || nodes > 500) usage(`--nodes must be a whole number from 0 to 500, got ${values.nodes}`);
const out = resolve(values.out);
const work = join(out, 'control-plane');
rmSync(work, { recursive: true, force: true }); // a previous run's etcd data would resurrect its objects
mkdirSync(work, { recursive: true });

const started = performance.now();
const gke = await startLocalGke({ dir: work, nodes });
gke.writeKubeconfig(out);
writeFileSync(join(out, 'env.sh'), `${gke.envLines().join('\n')}\n`);
process.stderr.write(
  [
    `Kubernetes ${gke.controlPlane.version} at ${gke.kubeUrl} with ${nodes} nodes, started in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    `  admin:   export KUBECONFIG=${join(out, 'kubeconfig')}`,
    `  nodelb:  source ${join(out, 'env.sh')}   # Compute/Container endpoints, token, NODELB_CLUSTER`,
    `  nodelb's Kubernetes user is ${gke.nodelbUser}: it has no rights until you bind it, e.g.`,
    `    kubectl kustomize manifests/ | sed 's/nodelb@PROJECT_ID/nodelb@${gke.project}/' | kubectl apply -f -`,
    `  component logs: ${join(work, 'logs')}`,
    '',
  ].join('\n'),
);
process.stdout.write('ready\n');

let stopping = false;
const stop = async (signal: string): Promise<void> => {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`cluster: ${signal}, stopping\n`);
  await gke.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
