// Pod template validation as ValidatePodTemplateSpec does it for the fields a DaemonSet uses:
// containers, ports and hostPorts, env, probes, tolerations, node affinity, sysctls. Pure.
import { duplicate, forbiddenField, invalid, notSupported, required, type FieldError } from './field_errors.ts';
import { validateAnnotations, validateLabels } from './validation_meta.ts';
import { dns1123Label, envVarName, labelValue, portName, portNumber, qualifiedName } from './validation_primitives.ts';
import type { WireContainer, WireNodeSelectorTerm, WirePodSpec, WirePodTemplate, WireProbe, WireToleration } from './types.ts';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const ENV_FIELD_PATHS = [
  'metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName',
  'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs',
];
const SYSCTL_NAME = /^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$/;

function validatePorts(c: WireContainer, f: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (c.ports ?? []).forEach((p, i) => {
    const pf = `${f}.ports[${i}]`;
    if (p.name) {
      const msgs = portName(p.name);
      for (const m of msgs) errs.push(invalid(`${pf}.name`, p.name, m));
      if (msgs.length === 0 && names.has(p.name)) errs.push(duplicate(`${pf}.name`, p.name));
      names.add(p.name);
    }
    if (p.containerPort === undefined || p.containerPort === 0) errs.push(required(`${pf}.containerPort`));
    else for (const m of portNumber(p.containerPort)) errs.push(invalid(`${pf}.containerPort`, p.containerPort, m));
    if (p.hostPort !== undefined && p.hostPort !== 0) {
      for (const m of portNumber(p.hostPort)) errs.push(invalid(`${pf}.hostPort`, p.hostPort, m));
    }
    if (!p.protocol) errs.push(required(`${pf}.protocol`));
    else if (!PROTOCOLS.includes(p.protocol)) errs.push(notSupported(`${pf}.protocol`, p.protocol, PROTOCOLS));
  });
  return errs;
}

function validateEnv(c: WireContainer, f: string): FieldError[] {
  const errs: FieldError[] = [];
  (c.env ?? []).forEach((e, i) => {
    const ef = `${f}.env[${i}]`;
    if (!e.name) errs.push(required(`${ef}.name`));
    else for (const m of envVarName(e.name)) errs.push(invalid(`${ef}.name`, e.name, m));
    const from = e.valueFrom;
    if (from === undefined) return;
    const sources = [from.fieldRef, from.resourceFieldRef, from.configMapKeyRef, from.secretKeyRef].filter((s) => s !== undefined);
    if (sources.length === 0) errs.push(invalid(`${ef}.valueFrom`, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    if (sources.length > 1) errs.push(invalid(`${ef}.valueFrom`, '', 'may not have more than one field specified at a time'));
    if (e.value !== undefined && e.value !== '') errs.push(invalid(`${ef}.valueFrom`, '', 'may not be specified when `value` is not empty'));
    const fieldRef = from.fieldRef;
    if (fieldRef) {
      const path = fieldRef.fieldPath ?? '';
      if (path === '') errs.push(required(`${ef}.valueFrom.fieldRef.fieldPath`));
      else if (!ENV_FIELD_PATHS.includes(path) && !/^metadata\.(labels|annotations)\['[^']+'\]$/.test(path)) {
        errs.push(notSupported(`${ef}.valueFrom.fieldRef.fieldPath`, path, [...ENV_FIELD_PATHS, "metadata.annotations['<KEY>']", "metadata.labels['<KEY>']"]));
      }
      if (fieldRef.apiVersion && fieldRef.apiVersion !== 'v1') errs.push(invalid(`${ef}.valueFrom.fieldRef.apiVersion`, fieldRef.apiVersion, 'unsupported version'));
    }
  });
  return errs;
}

function validateProbe(p: WireProbe | undefined, f: string, successMustBeOne: boolean): FieldError[] {
  if (p === undefined) return [];
  const errs: FieldError[] = [];
  const handlers = [p.exec, p.httpGet, p.tcpSocket, p.grpc].filter((h) => h !== undefined && h !== null).length;
  if (handlers === 0) errs.push(required(f, 'must specify a handler type'));
  if (handlers > 1) errs.push(forbiddenField(f, 'may not specify more than 1 handler type'));
  if (p.exec !== undefined && (p.exec.command ?? []).length === 0) errs.push(required(`${f}.exec.command`));
  for (const k of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const) {
    const v = p[k];
    if (typeof v === 'number' && v < 0) errs.push(invalid(`${f}.${k}`, v, 'must be greater than or equal to 0'));
  }
  if (successMustBeOne && p.successThreshold !== undefined && p.successThreshold !== 1) {
    errs.push(invalid(`${f}.successThreshold`, p.successThreshold, 'must be 1'));
  }
  return errs;
}

function validateContainer(c: WireContainer, f: string, init: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.name) errs.push(required(`${f}.name`));
  else for (const m of dns1123Label(c.name)) errs.push(invalid(`${f}.name`, c.name, m));
  errs.push(...validatePorts(c, f));
  errs.push(...validateEnv(c, f));
  const sidecar = init && c.restartPolicy === 'Always';
  if (init && c.restartPolicy !== undefined && c.restartPolicy !== 'Always') {
    errs.push(notSupported(`${f}.restartPolicy`, c.restartPolicy, ['Always']));
  }
  if (!init && c.restartPolicy !== undefined) errs.push(forbiddenField(`${f}.restartPolicy`, 'may not be set for non-init containers'));
  if (init && !sidecar) {
    for (const k of ['readinessProbe', 'livenessProbe', 'startupProbe'] as const) {
      if (c[k] !== undefined) errs.push(forbiddenField(`${f}.${k}`, 'may not be set for init containers without restartPolicy=Always'));
    }
  } else {
    errs.push(...validateProbe(c.readinessProbe, `${f}.readinessProbe`, false));
    errs.push(...validateProbe(c.livenessProbe, `${f}.livenessProbe`, true));
    errs.push(...validateProbe(c.startupProbe, `${f}.startupProbe`, true));
  }
  if (c.imagePullPolicy !== undefined && !['Always', 'IfNotPresent', 'Never'].includes(c.imagePullPolicy)) {
    errs.push(notSupported(`${f}.imagePullPolicy`, c.imagePullPolicy, ['Always', 'IfNotPresent', 'Never']));
  }
  return errs;
}

function validateTolerations(tolerations: WireToleration[] | undefined, f: string): FieldError[] {
  const errs: FieldError[] = [];
  (tolerations ?? []).forEach((t, i) => {
    const tf = `${f}[${i}]`;
    if (t.key) for (const m of qualifiedName(t.key)) errs.push(invalid(`${tf}.key`, t.key, m));
    if (!t.key && t.operator !== 'Exists') {
      errs.push(invalid(`${tf}.operator`, t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      errs.push(invalid(`${tf}.effect`, t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    switch (t.operator ?? 'Equal') {
      case 'Equal':
        for (const m of labelValue(t.value ?? '')) errs.push(invalid(`${tf}.operator`, t.value, m));
        break;
      case 'Exists':
        if (t.value) errs.push(invalid(`${tf}.operator`, t.value, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(notSupported(`${tf}.operator`, t.operator, ['Equal', 'Exists']));
    }
    if (t.effect && !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(t.effect)) {
      errs.push(notSupported(`${tf}.effect`, t.effect, ['NoExecute', 'NoSchedule', 'PreferNoSchedule']));
    }
  });
  return errs;
}

function validateNodeSelectorTerms(terms: WireNodeSelectorTerm[] | undefined, f: string): FieldError[] {
  const errs: FieldError[] = [];
  if (terms === undefined || terms.length === 0) return [required(`${f}.nodeSelectorTerms`, 'must have at least one node selector term')];
  terms.forEach((term, i) => {
    const lists: [string, WireNodeSelectorTerm['matchExpressions']][] = [['matchExpressions', term.matchExpressions], ['matchFields', term.matchFields]];
    for (const [name, reqs] of lists) {
      (reqs ?? []).forEach((r, j) => {
        const rf = `${f}.nodeSelectorTerms[${i}].${name}[${j}]`;
        const values = r.values ?? [];
        switch (r.operator) {
          case 'In':
          case 'NotIn':
            if (values.length === 0) errs.push(required(`${rf}.values`, 'must be specified when `operator` is \'In\' or \'NotIn\''));
            break;
          case 'Exists':
          case 'DoesNotExist':
            if (values.length > 0) errs.push(forbiddenField(`${rf}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
            break;
          case 'Gt':
          case 'Lt':
            if (values.length !== 1 || !/^-?\d+$/.test(values[0] ?? '')) errs.push(required(`${rf}.values`, "must be specified single value when `operator` is 'Lt' or 'Gt'"));
            break;
          default:
            errs.push(invalid(`${rf}.operator`, r.operator, 'not a valid selector operator'));
        }
        if (name === 'matchExpressions') for (const m of qualifiedName(r.key)) errs.push(invalid(`${rf}.key`, r.key, m));
        else if (r.key !== 'metadata.name') errs.push(invalid(`${rf}.key`, r.key, 'not a valid field selector key'));
      });
    }
  });
  return errs;
}

/** Host ports must be unique per protocol and host IP within one pod (checkHostPortConflicts). */
function validateHostPortConflicts(containers: WireContainer[], f: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  containers.forEach((c, ci) => {
    (c.ports ?? []).forEach((p, pi) => {
      if (!p.hostPort) return;
      const key = `${p.protocol ?? 'TCP'}/${p.hostIP ?? ''}/${p.hostPort}`;
      if (seen.has(key)) errs.push(duplicate(`${f}.containers[${ci}].ports[${pi}].hostPort`, key));
      seen.add(key);
    });
  });
  return errs;
}

export function validatePodSpec(spec: WirePodSpec, f: string): FieldError[] {
  const errs: FieldError[] = [];
  const containers = spec.containers ?? [];
  const inits = spec.initContainers ?? [];
  if (containers.length === 0) errs.push(required(`${f}.containers`));
  const names = new Set<string>();
  inits.forEach((c, i) => {
    errs.push(...validateContainer(c, `${f}.initContainers[${i}]`, true));
    if (c.name && names.has(c.name)) errs.push(duplicate(`${f}.initContainers[${i}].name`, c.name));
    if (c.name) names.add(c.name);
  });
  containers.forEach((c, i) => {
    errs.push(...validateContainer(c, `${f}.containers[${i}]`, false));
    if (c.name && names.has(c.name)) errs.push(duplicate(`${f}.containers[${i}].name`, c.name));
    if (c.name) names.add(c.name);
  });
  errs.push(...validateHostPortConflicts(containers, f));
  if (spec.restartPolicy && !['Always', 'OnFailure', 'Never'].includes(spec.restartPolicy)) {
    errs.push(notSupported(`${f}.restartPolicy`, spec.restartPolicy, ['Always', 'OnFailure', 'Never']));
  }
  if (spec.dnsPolicy && !['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'].includes(spec.dnsPolicy)) {
    errs.push(notSupported(`${f}.dnsPolicy`, spec.dnsPolicy, ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None']));
  }
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) {
    for (const m of qualifiedName(k)) errs.push(invalid(`${f}.nodeSelector`, k, m));
    for (const m of labelValue(v)) errs.push(invalid(`${f}.nodeSelector`, v, m));
  }
  errs.push(...validateTolerations(spec.tolerations, `${f}.tolerations`));
  const required_ = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required_ !== undefined) {
    errs.push(...validateNodeSelectorTerms(required_.nodeSelectorTerms, `${f}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`));
  }
  const sysctls = spec.securityContext?.sysctls ?? [];
  const sysctlNames = new Set<string>();
  sysctls.forEach((s, i) => {
    const sf = `${f}.securityContext.sysctls[${i}]`;
    if (!s.name) errs.push(required(`${sf}.name`));
    else if (!SYSCTL_NAME.test(s.name) || s.name.length > 253) errs.push(invalid(`${sf}.name`, s.name, "must have at most 253 characters and match regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$"));
    else if (sysctlNames.has(s.name)) errs.push(duplicate(`${sf}.name`, s.name));
    if (s.name) sysctlNames.add(s.name);
  });
  if (typeof spec.terminationGracePeriodSeconds === 'number' && spec.terminationGracePeriodSeconds < 0) {
    errs.push(invalid(`${f}.terminationGracePeriodSeconds`, spec.terminationGracePeriodSeconds, 'must be greater than or equal to 0'));
  }
  return errs;
}

export function validatePodTemplate(template: WirePodTemplate | undefined, f: string): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...validateLabels(template?.metadata?.labels, `${f}.metadata.labels`));
  errs.push(...validateAnnotations(template?.metadata?.annotations, `${f}.metadata.annotations`));
  errs.push(...validatePodSpec(template?.spec ?? {}, `${f}.spec`));
  return errs;
}
