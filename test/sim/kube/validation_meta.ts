// ObjectMeta validation shared by every resource (name, generateName, labels, annotations, owner
// references), as apimachinery's ValidateObjectMeta does it. Pure.
import { duplicate, invalid, required, tooLong, type FieldError } from './field_errors.ts';
import { dns1035Label, dns1123Label, dns1123Subdomain, labelValue, qualifiedName } from './validation_primitives.ts';
import type { WireMeta } from './types.ts';

export type NameRule = 'dns1123Label' | 'dns1123Subdomain' | 'dns1035Label' | 'pathSegment';

function pathSegment(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  for (const bad of ['/', '%']) if (name.includes(bad)) return [`may not contain '${bad}'`];
  return [];
}

export function checkName(rule: NameRule, name: string): string[] {
  switch (rule) {
    case 'dns1123Label': return dns1123Label(name);
    case 'dns1123Subdomain': return dns1123Subdomain(name);
    case 'dns1035Label': return dns1035Label(name);
    case 'pathSegment': return pathSegment(name);
  }
}

export function validateLabels(labels: Record<string, string> | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const m of qualifiedName(k)) errs.push(invalid(field, k, m));
    if (typeof v !== 'string') errs.push(invalid(field, v, 'must be a string'));
    else for (const m of labelValue(v)) errs.push(invalid(field, v, m));
  }
  return errs;
}

const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

export function validateAnnotations(annotations: Record<string, string> | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const m of qualifiedName(k.toLowerCase())) errs.push(invalid(field, k, m));
    size += k.length + (typeof v === 'string' ? v.length : 0);
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(tooLong(field, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

export function validateObjectMeta(meta: WireMeta, rule: NameRule): FieldError[] {
  const errs: FieldError[] = [];
  const name = meta.name ?? '';
  if (name === '' && (meta.generateName ?? '') === '') {
    errs.push(required('metadata.name', 'name or generateName is required'));
  }
  if (name !== '') for (const m of checkName(rule, name)) errs.push(invalid('metadata.name', name, m));
  if (meta.generateName) {
    // A prefix may end in '-': validate it as if a suffix were appended.
    const probe = meta.generateName.replace(/-+$/, '') || 'a';
    for (const m of checkName(rule, probe)) errs.push(invalid('metadata.generateName', meta.generateName, m));
  }
  errs.push(...validateLabels(meta.labels, 'metadata.labels'));
  errs.push(...validateAnnotations(meta.annotations, 'metadata.annotations'));
  (meta.ownerReferences ?? []).forEach((o, i) => {
    const f = `metadata.ownerReferences[${i}]`;
    if (!o.apiVersion) errs.push(invalid(`${f}.apiVersion`, o.apiVersion ?? '', 'version must not be empty'));
    if (!o.kind) errs.push(invalid(`${f}.kind`, o.kind ?? '', 'kind must not be empty'));
    if (!o.name) errs.push(invalid(`${f}.name`, o.name ?? '', 'name must not be empty'));
    if (!o.uid) errs.push(invalid(`${f}.uid`, o.uid ?? '', 'uid must not be empty'));
  });
  const seen = new Set<string>();
  (meta.finalizers ?? []).forEach((f, i) => {
    for (const m of qualifiedName(f)) errs.push(invalid(`metadata.finalizers[${i}]`, f, m));
    if (seen.has(f)) errs.push(duplicate(`metadata.finalizers[${i}]`, f));
    seen.add(f);
  });
  return errs;
}
