// ContainerApi.getCluster over REST (GET {endpoint}/projects/P/locations/L/clusters/C) with the
// shared token: the cluster's endpoint, CA, network and Autopilot flag. Typed with
// @google-cloud/container's published types only; ClusterManagerClient is never loaded. Does I/O.
import { ApiError } from '../platform/errors.ts';
import type { Cluster, ContainerApi } from './apis.ts';
import type { TokenSource } from './auth.ts';
import type { CallCounter } from '../platform/calls.ts';
import { createRestClient } from './google_rest.ts';
import { parseRetryAfter } from './http_errors.ts';
import { CLUSTER_NAME_FORM, parseClusterName } from '../cluster_name.ts';

export function createContainerApi(opts: { baseUrl: string; tokens: TokenSource; counter: CallCounter; fetch?: typeof fetch }): ContainerApi {
  const rest = createRestClient({ api: 'container', baseUrl: opts.baseUrl, tokens: opts.tokens, counter: opts.counter, fetch: opts.fetch });
  return {
    getCluster(name) {
      const op = `get cluster ${name}`;
      const project = parseClusterName(name)?.project ?? '(project)';
      return rest.request<Cluster>({
        method: 'GET',
        path: `/${name.split('/').map(encodeURIComponent).join('/')}`,
        write: false,
        op,
        classify: (f) => {
          const reason = f.error.errors?.[0]?.reason ?? f.error.status;
          const base = {
            api: 'container' as const,
            op,
            status: f.status,
            reason,
            message: `${op}: ${f.status}${reason ? ` ${reason}` : ''}${f.error.message ? `: ${f.error.message}` : ''}`,
          };
          if (f.status === 403)
            return new ApiError({
              ...base,
              retryable: false,
              fix: `grant the function's service account container.clusters.get in project ${project} (roles/container.clusterViewer or the custom role in infra/); the DNS endpoint also needs container.clusters.connect`,
            });
          if (f.status === 404)
            return new ApiError({ ...base, retryable: false, fix: `check the cluster name "${name}" (${CLUSTER_NAME_FORM})` });
          const retryable = f.status === 429 || f.status >= 500;
          return new ApiError({ ...base, retryable, retryAfterMs: retryable ? parseRetryAfter(f.retryAfter) : undefined });
        },
      });
    },
  };
}
