// Does an observed DaemonSet still match the desired one? Compared on a projection of the fields
// nodelb sets, because the API server fills in defaults that raw equality would flag (pure).
import type { V1Container, V1DaemonSet, V1Toleration } from '@kubernetes/client-node';
import {
  DAEMONSET_LABEL,
  MANAGED_BY_LABEL,
  SERVICE_NAME_LABEL,
  SERVICE_NAMESPACE_LABEL,
  SERVICE_UID_LABEL,
  SPEC_HASH_ANNOTATION,
  stableStringify,
} from './naming.ts';

const OWNER_KEYS = [MANAGED_BY_LABEL, SERVICE_NAMESPACE_LABEL, SERVICE_NAME_LABEL, SERVICE_UID_LABEL];

function pick(labels: Record<string, string> | undefined, keys: readonly string[]): Record<string, string | null> {
  return Object.fromEntries(keys.map((k) => [k, labels?.[k] ?? null]));
}

function emptyToNull<T>(value: T[] | Record<string, unknown> | undefined | null): T[] | Record<string, unknown> | null {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return value.length === 0 ? null : value;
  return Object.keys(value).length === 0 ? null : value;
}

function projectToleration(t: V1Toleration): unknown {
  return {
    key: t.key ?? '',
    operator: t.operator || 'Equal', // the API's default when omitted
    value: t.value ?? '',
    effect: t.effect ?? '',
    tolerationSeconds: t.tolerationSeconds ?? null,
  };
}

function projectContainer(c: V1Container): unknown {
  return {
    image: c.image ?? null,
    imagePullPolicy: c.imagePullPolicy ?? null,
    command: emptyToNull(c.command),
    ports: (c.ports ?? []).map((p) => ({
      name: p.name ?? null,
      containerPort: p.containerPort,
      hostPort: p.hostPort ?? null,
      protocol: p.protocol ?? 'TCP',
    })),
    env: (c.env ?? []).map((e) => ({
      name: e.name,
      value: e.value ?? null,
      fieldPath: e.valueFrom?.fieldRef?.fieldPath ?? null, // the API adds fieldRef.apiVersion
    })),
    capabilities: [...(c.securityContext?.capabilities?.add ?? [])].sort(),
    privileged: c.securityContext?.privileged ?? false,
    resources: { requests: emptyToNull(c.resources?.requests), limits: emptyToNull(c.resources?.limits) },
    // timeoutSeconds, successThreshold and failureThreshold are API defaults; we set these three.
    readiness: c.readinessProbe
      ? {
          command: c.readinessProbe.exec?.command ?? null,
          periodSeconds: c.readinessProbe.periodSeconds ?? null,
          initialDelaySeconds: c.readinessProbe.initialDelaySeconds ?? null,
        }
      : null,
  };
}

/** Field name → projected value, for each field nodelb sets. */
export function projectDaemonSet(ds: V1DaemonSet): Map<string, string> {
  const spec = ds.spec;
  const pod = spec?.template?.spec;
  const fields: [string, unknown][] = [
    ['labels', pick(ds.metadata?.labels, OWNER_KEYS)],
    ['spec-hash annotation', ds.metadata?.annotations?.[SPEC_HASH_ANNOTATION] ?? null],
    ['selector', { matchLabels: emptyToNull(spec?.selector?.matchLabels), matchExpressions: emptyToNull(spec?.selector?.matchExpressions) }],
    ['updateStrategy', { type: spec?.updateStrategy?.type ?? null, maxUnavailable: String(spec?.updateStrategy?.rollingUpdate?.maxUnavailable ?? '') }],
    ['pod labels', pick(spec?.template?.metadata?.labels, [...OWNER_KEYS, DAEMONSET_LABEL])],
    ['automountServiceAccountToken', pod?.automountServiceAccountToken ?? null],
    ['enableServiceLinks', pod?.enableServiceLinks ?? null],
    ['tolerations', (pod?.tolerations ?? []).map(projectToleration)],
    ['nodeSelector', emptyToNull(pod?.nodeSelector)],
    ['affinity', pod?.affinity ?? null],
    ['priorityClassName', pod?.priorityClassName ?? null],
    ['sysctls', emptyToNull(pod?.securityContext?.sysctls)],
    ['initContainers', (pod?.initContainers ?? []).map((c) => ({ name: c.name, ...(projectContainer(c) as object) }))],
  ];
  const out = new Map(fields.map(([k, v]) => [k, stableStringify(v)]));
  for (const c of pod?.containers ?? []) out.set(`container ${c.name}`, stableStringify(projectContainer(c)));
  return out;
}

/** What differs, in words ("container lb-tcp-80", "tolerations"); empty when nothing does. */
export function daemonSetDrift(desired: V1DaemonSet, observed: V1DaemonSet): string[] {
  const want = projectDaemonSet(desired);
  const have = projectDaemonSet(observed);
  const diffs: string[] = [];
  for (const [field, value] of want) {
    if (!have.has(field)) diffs.push(`${field} missing`);
    else if (have.get(field) !== value) diffs.push(field);
  }
  for (const field of have.keys()) if (!want.has(field)) diffs.push(`${field} not wanted`);
  const order = (c: V1Container) => c.name;
  const wantOrder = (desired.spec?.template?.spec?.containers ?? []).map(order).join(',');
  const haveOrder = (observed.spec?.template?.spec?.containers ?? []).map(order).join(',');
  if (diffs.length === 0 && wantOrder !== haveOrder) diffs.push('container order');
  return diffs;
}
