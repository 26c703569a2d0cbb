// Per-Service settings from `nodelb.dev/*` annotations, validated, merged with the global
// defaults (pure). A bad annotation is a problem to report, never a reason to guess.
import type { V1Toleration } from '@kubernetes/client-node';
import type { PlanConfig } from './plan_config.ts';
import { parseEqualitySelector, type Selector } from './selectors.ts';
import { POOL_NODE_LABEL } from './naming.ts';

export const ANNOTATION = {
  maxIPs: 'nodelb.dev/max-ips',
  nodeSelector: 'nodelb.dev/node-selector',
  pool: 'nodelb.dev/pool',
  tolerations: 'nodelb.dev/tolerations',
  priorityClass: 'nodelb.dev/priority-class',
  ipMode: 'nodelb.dev/ip-mode',
} as const;

const KNOWN = new Set<string>(Object.values(ANNOTATION));

export interface ServiceSettings {
  maxIPs: number; // 0: every eligible node
  /** Global selector ∪ annotation selector ∪ pool: what a proxy node must match. */
  nodeSelector: Selector;
  pool?: string;
  tolerations: V1Toleration[]; // extra ones from the annotation, after the built-in ones
  priorityClass?: string;
  ipMode: 'VIP' | 'Proxy';
}

export interface AnnotationResult {
  settings: ServiceSettings;
  problems: string[]; // each names the annotation and the accepted form
  unknown: string[]; // nodelb.dev/ annotations we do not know (likely typos)
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const EFFECTS = new Set(['', 'NoSchedule', 'PreferNoSchedule', 'NoExecute']);
const TOLERATION_FIELDS = new Set(['key', 'operator', 'value', 'effect', 'tolerationSeconds']);

export function parseServiceAnnotations(annotations: Record<string, string>, config: PlanConfig): AnnotationResult {
  const problems: string[] = [];
  const bad = (annotation: string, value: string, expected: string) =>
    problems.push(`annotation ${annotation}: ${JSON.stringify(value)} is not ${expected}`);
  const settings: ServiceSettings = {
    maxIPs: config.maxIPs,
    nodeSelector: { ...config.nodeSelector },
    tolerations: [],
    ipMode: config.ipMode,
  };

  const maxIPs = annotations[ANNOTATION.maxIPs];
  if (maxIPs !== undefined) {
    if (/^\s*\d{1,6}\s*$/.test(maxIPs)) settings.maxIPs = Number(maxIPs);
    else bad(ANNOTATION.maxIPs, maxIPs, 'a whole number ≥ 0 (0 publishes every eligible node)');
  }

  const selectorText = annotations[ANNOTATION.nodeSelector];
  if (selectorText !== undefined) {
    const parsed = parseEqualitySelector(selectorText);
    if (!parsed.ok) {
      bad(ANNOTATION.nodeSelector, selectorText, `a label selector like "disktype=ssd,zone!=a,gpu" (${parsed.error})`);
    } else {
      mergeSelector(settings.nodeSelector, parsed.selector, ANNOTATION.nodeSelector, problems);
    }
  }

  const pool = annotations[ANNOTATION.pool];
  if (pool !== undefined) {
    if (pool === '' || !LABEL_VALUE.test(pool)) {
      bad(ANNOTATION.pool, pool, 'a label value (letters, digits, "-", "_", ".", at most 63)');
    } else {
      settings.pool = pool;
      mergeSelector(settings.nodeSelector, { [POOL_NODE_LABEL]: pool }, ANNOTATION.pool, problems);
    }
  }

  const tolerations = annotations[ANNOTATION.tolerations];
  if (tolerations !== undefined) {
    const parsed = parseTolerations(tolerations);
    if (typeof parsed === 'string') problems.push(`annotation ${ANNOTATION.tolerations}: ${parsed}`);
    else settings.tolerations = parsed;
  }

  const priorityClass = annotations[ANNOTATION.priorityClass];
  if (priorityClass !== undefined) {
    if (priorityClass.length <= 253 && DNS_SUBDOMAIN.test(priorityClass)) settings.priorityClass = priorityClass;
    else bad(ANNOTATION.priorityClass, priorityClass, 'a PriorityClass name (lowercase DNS subdomain)');
  }

  const ipMode = annotations[ANNOTATION.ipMode];
  if (ipMode !== undefined) {
    const mode = ipMode.trim().toLowerCase();
    if (mode === 'vip') settings.ipMode = 'VIP';
    else if (mode === 'proxy') settings.ipMode = 'Proxy';
    else bad(ANNOTATION.ipMode, ipMode, 'VIP or Proxy');
  }

  const unknown = Object.keys(annotations)
    .filter((k) => k.startsWith('nodelb.dev/') && !KNOWN.has(k))
    .sort();
  return { settings, problems, unknown };
}

/** Adds `extra` to `into`; a key both constrain differently is a problem (the global selector
 *  is the operator's boundary: a Service may narrow it, never override it). */
function mergeSelector(into: Selector, extra: Selector, annotation: string, problems: string[]): void {
  for (const [key, want] of Object.entries(extra)) {
    const have = into[key];
    if (have !== undefined && have !== want) {
      problems.push(
        `annotation ${annotation}: "${describeTerm(key, want)}" contradicts "${describeTerm(key, have)}" from the node selector already in force`,
      );
      continue;
    }
    into[key] = want;
  }
}

export function describeTerm(key: string, want: string): string {
  if (want === '') return key;
  if (want.startsWith('!')) return `${key}!=${want.slice(1)}`;
  return `${key}=${want}`;
}

export function describeSelector(selector: Selector): string {
  return Object.keys(selector)
    .sort()
    .map((k) => describeTerm(k, selector[k] ?? ''))
    .join(',');
}

/** The checks servicelb (and the API server) make on tolerations. Returns an error text. */
export function parseTolerations(text: string): V1Toleration[] | string {
  const form = 'a JSON array of tolerations like [{"key":"dedicated","operator":"Equal","value":"lb","effect":"NoSchedule"}]';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `not valid JSON; expected ${form}`;
  }
  if (!Array.isArray(value)) return `expected ${form}`;
  const out: V1Toleration[] = [];
  for (const [i, item] of value.entries()) {
    const at = `toleration ${i + 1}`;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return `${at} is not an object; expected ${form}`;
    const t = item as Record<string, unknown>;
    const unknownField = Object.keys(t).find((k) => !TOLERATION_FIELDS.has(k));
    if (unknownField !== undefined) return `${at} has unknown field "${unknownField}" (allowed: key, operator, value, effect, tolerationSeconds)`;
    for (const field of ['key', 'operator', 'value', 'effect'] as const) {
      if (t[field] !== undefined && typeof t[field] !== 'string') return `${at}: ${field} must be a string`;
    }
    const key = (t.key as string | undefined) ?? '';
    const operator = (t.operator as string | undefined) ?? '';
    const val = (t.value as string | undefined) ?? '';
    const effect = (t.effect as string | undefined) ?? '';
    if (key !== '' && !LABEL_KEY.test(key)) return `${at}: "${key}" is not a valid taint key`;
    if (operator !== '' && operator !== 'Equal' && operator !== 'Exists') return `${at}: operator must be Equal or Exists, got "${operator}"`;
    if (key === '' && operator !== 'Exists') return `${at}: an empty key needs operator Exists (it then matches every taint)`;
    if (operator === 'Exists' && val !== '') return `${at}: operator Exists must not have a value`;
    if (operator !== 'Exists' && !LABEL_VALUE.test(val)) return `${at}: "${val}" is not a valid taint value`;
    if (!EFFECTS.has(effect)) return `${at}: effect must be NoSchedule, PreferNoSchedule, NoExecute or empty, got "${effect}"`;
    const seconds = t.tolerationSeconds;
    if (seconds !== undefined) {
      if (typeof seconds !== 'number' || !Number.isInteger(seconds)) return `${at}: tolerationSeconds must be a whole number`;
      if (effect !== 'NoExecute') return `${at}: tolerationSeconds is only valid with effect NoExecute`;
    }
    const toleration: V1Toleration = {};
    if (key !== '') toleration.key = key;
    if (operator !== '') toleration.operator = operator;
    if (val !== '') toleration.value = val;
    if (effect !== '') toleration.effect = effect;
    if (seconds !== undefined) toleration.tolerationSeconds = seconds as number;
    out.push(toleration);
  }
  return out;
}
