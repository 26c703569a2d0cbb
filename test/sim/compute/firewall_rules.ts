// Firewall rule validation, defaults and JSON-merge patching, following GCE's rules (pure).
// Messages use GCE's "Invalid value for field 'resource.x': 'v'. …" form; where we have not seen
// GCE's exact wording for a check (ports limit, family mixing), the wording is ours.
import { isIP } from 'node:net';
import type { Firewall } from '../../../functions/adapters/apis.ts';
import { GoogleApiError, invalidField, requiredField, unknownJsonField } from './errors.ts';
import type { ProjectRegistry } from './projects.ts';

export const FIREWALL_FIELDS: ReadonlySet<string> = new Set([
  'allowed',
  'creationTimestamp',
  'denied',
  'description',
  'destinationRanges',
  'direction',
  'disabled',
  'id',
  'kind',
  'logConfig',
  'name',
  'network',
  'params',
  'priority',
  'selfLink',
  'sourceRanges',
  'sourceServiceAccounts',
  'sourceTags',
  'targetServiceAccounts',
  'targetTags',
]);

const OUTPUT_ONLY = ['id', 'creationTimestamp', 'selfLink', 'kind'] as const;
const RULE_FIELDS = new Set(['IPProtocol', 'ports']);
const LOG_CONFIG_FIELDS = new Set(['enable', 'metadata']);

export const NAME_PATTERN = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const NAME_REGEX_TEXT = '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)';
const PROTOCOL_NAMES = new Set(['tcp', 'udp', 'icmp', 'esp', 'ah', 'sctp', 'ipip', 'all']);
const PORTED_PROTOCOLS = new Set(['tcp', 'udp', 'sctp', '6', '17', '132']);
export const MAX_PORTS_PER_RULE = 100;
export const MAX_DESCRIPTION = 2048;

/** Rejects JSON field names that the Firewall message does not have, as Google's front end does. */
export function checkFirewallJsonFields(body: unknown): void {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new GoogleApiError(400, 'Invalid JSON payload received. Expected an object for the firewall resource.', 'invalid', { withStatus: true });
  }
  for (const [k, v] of Object.entries(body)) {
    if (!FIREWALL_FIELDS.has(k)) throw unknownJsonField(k, 'resource');
    if ((k === 'allowed' || k === 'denied') && Array.isArray(v)) {
      v.forEach((rule: unknown, i) => {
        if (rule && typeof rule === 'object') {
          for (const rk of Object.keys(rule)) if (!RULE_FIELDS.has(rk)) throw unknownJsonField(rk, `resource.${k}[${i}]`);
        }
      });
    }
    if (k === 'logConfig' && v && typeof v === 'object') {
      for (const lk of Object.keys(v)) if (!LOG_CONFIG_FIELDS.has(lk)) throw unknownJsonField(lk, 'resource.log_config');
    }
  }
}

function stringList(field: string, v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((e) => typeof e !== 'string')) throw invalidField(field, v, 'Must be a list of strings.');
  return v as string[];
}

function checkName(value: unknown): string {
  if (value === undefined || value === null || value === '') throw requiredField('resource.name');
  if (typeof value !== 'string' || !NAME_PATTERN.test(value)) {
    throw invalidField('resource.name', value, `Must be a match of regex '${NAME_REGEX_TEXT}'`);
  }
  return value;
}

function checkTags(field: string, v: unknown): string[] {
  const tags = stringList(field, v);
  tags.forEach((t, i) => {
    if (!NAME_PATTERN.test(t)) throw invalidField(`${field}[${i}]`, t, `Must be a match of regex '${NAME_REGEX_TEXT}'`);
  });
  return tags;
}

function ipFamily(range: string): 4 | 6 | 0 {
  const [addr = '', prefix, ...rest] = range.split('/');
  if (rest.length > 0) return 0;
  const fam = isIP(addr);
  if (fam === 0) return 0;
  if (prefix !== undefined) {
    if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > (fam === 4 ? 32 : 128)) return 0;
  }
  return fam as 4 | 6;
}

function checkRanges(field: string, v: unknown): string[] {
  const ranges = stringList(field, v);
  let first: { family: 4 | 6; index: number } | undefined;
  ranges.forEach((r, i) => {
    const family = ipFamily(r);
    if (family === 0) throw invalidField(`${field}[${i}]`, r, 'Must be a valid IPv4 or IPv6 CIDR range.');
    if (!first) first = { family, index: i };
    else if (family !== first.family) {
      throw invalidField(`${field}[${i}]`, r, 'Cannot mix IPv4 and IPv6 ranges in the same firewall rule; use one rule per IP family.');
    }
  });
  return ranges;
}

function checkPort(field: string, p: string): void {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(p);
  const lo = m ? Number(m[1]) : NaN;
  const hi = m && m[2] !== undefined ? Number(m[2]) : lo;
  if (!m || lo < 1 || hi > 65535 || lo > hi) {
    throw invalidField(field, p, 'Must be a port number or a port range (e.g. 80 or 8000-8080) between 1 and 65535.');
  }
}

type ProtocolRule = { IPProtocol: string; ports?: string[] };

function checkRules(kind: 'allowed' | 'denied', v: unknown, portCount: { n: number }): ProtocolRule[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalidField(`resource.${kind}`, v, 'Must be a list.');
  return v.map((rule: unknown, i) => {
    const at = `resource.${kind}[${i}]`;
    if (!rule || typeof rule !== 'object') throw invalidField(at, rule, 'Must be an object.');
    const r = rule as { IPProtocol?: unknown; ports?: unknown };
    if (r.IPProtocol === undefined || r.IPProtocol === '') throw requiredField(`${at}.IPProtocol`);
    const proto = r.IPProtocol;
    const numeric = typeof proto === 'string' && /^\d{1,3}$/.test(proto) && Number(proto) <= 255;
    if (typeof proto !== 'string' || !(PROTOCOL_NAMES.has(proto) || numeric)) {
      throw invalidField(`${at}.IPProtocol`, proto, `Must be one of [${[...PROTOCOL_NAMES].join(', ')}] or an IP protocol number between 0 and 255.`);
    }
    const ports = stringList(`${at}.ports`, r.ports);
    if (ports.length > 0 && !PORTED_PROTOCOLS.has(proto)) {
      throw invalidField(`${at}.ports`, ports.join(','), 'Ports may only be specified for the tcp, udp and sctp protocols.');
    }
    ports.forEach((p, j) => {
      checkPort(`${at}.ports[${j}]`, p);
      portCount.n++;
      if (portCount.n > MAX_PORTS_PER_RULE) {
        throw invalidField(`${at}.ports[${j}]`, p, `A firewall rule may list at most ${MAX_PORTS_PER_RULE} ports and port ranges in total.`);
      }
    });
    return ports.length > 0 ? { IPProtocol: proto, ports: [...ports] } : { IPProtocol: proto };
  });
}

/**
 * Validates a complete rule (insert, update, or the result of a patch) for `project` and returns
 * it as GCE stores it: defaults filled, network as a full URL, output-only fields dropped.
 */
export function normalizeFirewall(input: Firewall, project: string, projects: ProjectRegistry): Firewall {
  const raw = input as Record<string, unknown>;
  const name = checkName(raw.name);

  const description = raw.description ?? '';
  if (typeof description !== 'string') throw invalidField('resource.description', description, 'Must be a string.');
  if (description.length > MAX_DESCRIPTION) {
    throw invalidField('resource.description', `${description.slice(0, 64)}…`, `Must be at most ${MAX_DESCRIPTION} characters long.`);
  }

  const network = projects.resolveFirewallNetwork(raw.network ?? 'global/networks/default', project);

  const direction = raw.direction ?? 'INGRESS';
  if (direction !== 'INGRESS' && direction !== 'EGRESS') throw invalidField('resource.direction', direction, 'Must be one of [INGRESS, EGRESS].');

  const priority = raw.priority ?? 1000;
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0 || priority > 65535) {
    throw invalidField('resource.priority', priority, 'Must be an integer between 0 and 65535.');
  }

  const portCount = { n: 0 };
  const allowed = checkRules('allowed', raw.allowed, portCount);
  const denied = checkRules('denied', raw.denied, portCount);
  if ((allowed.length > 0) === (denied.length > 0)) {
    throw invalidField('resource.allowed', allowed.length > 0 ? 'allowed and denied' : '', "Exactly one of 'allowed' or 'denied' must be specified.");
  }

  let sourceRanges = checkRanges('resource.sourceRanges', raw.sourceRanges);
  let destinationRanges = checkRanges('resource.destinationRanges', raw.destinationRanges);
  const sourceTags = checkTags('resource.sourceTags', raw.sourceTags);
  const targetTags = checkTags('resource.targetTags', raw.targetTags);
  const sourceServiceAccounts = stringList('resource.sourceServiceAccounts', raw.sourceServiceAccounts);
  const targetServiceAccounts = stringList('resource.targetServiceAccounts', raw.targetServiceAccounts);
  if (targetTags.length > 0 && targetServiceAccounts.length > 0) {
    throw invalidField('resource.targetServiceAccounts', targetServiceAccounts.join(','), 'Cannot be specified together with targetTags.');
  }
  if (sourceTags.length > 0 && sourceServiceAccounts.length > 0) {
    throw invalidField('resource.sourceServiceAccounts', sourceServiceAccounts.join(','), 'Cannot be specified together with sourceTags.');
  }
  if (direction === 'EGRESS' && (sourceTags.length > 0 || sourceServiceAccounts.length > 0)) {
    throw invalidField('resource.sourceTags', sourceTags.join(','), 'Source tags and service accounts apply to INGRESS rules only.');
  }
  // GCE's defaults: a rule with no source (ingress) or destination (egress) applies to everything.
  if (direction === 'INGRESS' && sourceRanges.length === 0 && sourceTags.length === 0 && sourceServiceAccounts.length === 0) {
    sourceRanges = ['0.0.0.0/0'];
  }
  if (direction === 'EGRESS' && destinationRanges.length === 0) destinationRanges = ['0.0.0.0/0'];

  const disabled = raw.disabled ?? false;
  if (typeof disabled !== 'boolean') throw invalidField('resource.disabled', disabled, 'Must be a boolean.');
  const logConfig = (raw.logConfig as Firewall['logConfig']) ?? { enable: false };

  const out: Firewall = { name, description, network, priority, direction };
  if (allowed.length > 0) out.allowed = allowed;
  if (denied.length > 0) out.denied = denied;
  if (sourceRanges.length > 0) out.sourceRanges = [...sourceRanges];
  if (destinationRanges.length > 0) out.destinationRanges = [...destinationRanges];
  if (sourceTags.length > 0) out.sourceTags = [...sourceTags];
  if (targetTags.length > 0) out.targetTags = [...targetTags];
  if (sourceServiceAccounts.length > 0) out.sourceServiceAccounts = [...sourceServiceAccounts];
  if (targetServiceAccounts.length > 0) out.targetServiceAccounts = [...targetServiceAccounts];
  out.disabled = disabled;
  out.logConfig = { ...logConfig };
  if (raw.params !== undefined) out.params = structuredClone(raw.params) as Firewall['params'];
  return out;
}

/** Drops what a client may send but the server owns. */
export function withoutOutputOnly(rule: Firewall): Firewall {
  const copy = { ...(rule as Record<string, unknown>) };
  for (const k of OUTPUT_ONLY) delete copy[k];
  return copy as Firewall;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** RFC 7386 JSON merge patch: objects merge recursively, arrays and scalars replace, null deletes. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
