// Per-kind validation the API server runs on create, update and status writes (DaemonSet,
// Service and its status, Namespace, Node, Event, EndpointSlice). Returns field errors. Pure.
import { isIP } from 'node:net';
import { deepEqual } from './patch.ts';
import { duplicate, forbiddenField, invalid, notSupported, required, tooLong, type FieldError } from './field_errors.ts';
import { validatePodTemplate } from './validation_pod.ts';
import { validateLabels } from './validation_meta.ts';
import { cidr, dns1123Label, dns1123Subdomain, ipAddress, labelValue, portName, portNumber, qualifiedName } from './validation_primitives.ts';
import { fromLabelSelectorObject, matchesLabels } from './selectors.ts';
import type {
  WireCondition,
  WireDaemonSet,
  WireEndpointSlice,
  WireEvent,
  WireLabelSelector,
  WireNode,
  WireService,
  WireServiceStatus,
} from './types.ts';

function validateLabelSelector(sel: WireLabelSelector, f: string): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...validateLabels(sel.matchLabels, `${f}.matchLabels`));
  (sel.matchExpressions ?? []).forEach((e, i) => {
    const ef = `${f}.matchExpressions[${i}]`;
    for (const m of qualifiedName(e.key)) errs.push(invalid(`${ef}.key`, e.key, m));
    const values = e.values ?? [];
    if (e.operator === 'In' || e.operator === 'NotIn') {
      if (values.length === 0) errs.push(required(`${ef}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (e.operator === 'Exists' || e.operator === 'DoesNotExist') {
      if (values.length > 0) errs.push(forbiddenField(`${ef}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else {
      errs.push(invalid(`${ef}.operator`, e.operator, 'not a valid selector operator'));
    }
    values.forEach((v, j) => { for (const m of labelValue(v)) errs.push(invalid(`${ef}.values[${j}]`, v, m)); });
  });
  return errs;
}

function intOrPercent(v: number | string | undefined, f: string): { errs: FieldError[]; zero: boolean } {
  if (v === undefined) return { errs: [], zero: true };
  if (typeof v === 'number') {
    return { errs: v < 0 ? [invalid(f, v, 'must be greater than or equal to 0')] : [], zero: v === 0 };
  }
  const m = /^(\d+)%$/.exec(v);
  if (!m) return { errs: [invalid(f, v, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")], zero: false };
  const n = Number(m[1]);
  return { errs: n > 100 ? [invalid(f, v, 'must not be greater than 100%')] : [], zero: n === 0 };
}

export function validateDaemonSetSpec(ds: WireDaemonSet): FieldError[] {
  const errs: FieldError[] = [];
  const spec = ds.spec ?? {};
  const selector = spec.selector;
  const templateLabels = spec.template?.metadata?.labels;
  if (selector === undefined) {
    errs.push(required('spec.selector'));
    errs.push(invalid('spec.template.metadata.labels', templateLabels ?? {}, '`selector` does not match template `labels`'));
  } else {
    const selErrs = validateLabelSelector(selector, 'spec.selector');
    errs.push(...selErrs);
    if (Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions ?? []).length === 0) {
      errs.push(invalid('spec.selector', selector, 'empty selector is invalid for daemonset'));
    } else if (selErrs.length === 0 && !matchesLabels(templateLabels, fromLabelSelectorObject(selector))) {
      errs.push(invalid('spec.template.metadata.labels', templateLabels ?? {}, '`selector` does not match template `labels`'));
    }
  }
  errs.push(...validatePodTemplate(spec.template, 'spec.template'));
  const restart = spec.template?.spec?.restartPolicy;
  if (restart !== 'Always') errs.push(notSupported('spec.template.spec.restartPolicy', restart ?? '', ['Always']));
  if (spec.template?.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(forbiddenField('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in DaemonSet is not Supported'));
  }
  if (typeof spec.minReadySeconds === 'number' && spec.minReadySeconds < 0) errs.push(invalid('spec.minReadySeconds', spec.minReadySeconds, 'must be greater than or equal to 0'));
  const strategy = spec.updateStrategy ?? {};
  if (strategy.type === 'RollingUpdate') {
    const ru = strategy.rollingUpdate;
    if (ru === undefined) {
      errs.push(required('spec.updateStrategy.rollingUpdate'));
    } else {
      const unavailable = intOrPercent(ru.maxUnavailable, 'spec.updateStrategy.rollingUpdate.maxUnavailable');
      const surge = intOrPercent(ru.maxSurge, 'spec.updateStrategy.rollingUpdate.maxSurge');
      errs.push(...unavailable.errs, ...surge.errs);
      if (!unavailable.zero && !surge.zero) errs.push(invalid('spec.updateStrategy.rollingUpdate.maxSurge', ru.maxSurge, 'may not be set when maxUnavailable is non-zero'));
      if (unavailable.zero && surge.zero) errs.push(required('spec.updateStrategy.rollingUpdate.maxUnavailable', 'cannot be 0 when maxSurge is 0'));
    }
  } else if (strategy.type !== 'OnDelete') {
    errs.push(notSupported('spec.updateStrategy', strategy.type ?? '', ['OnDelete', 'RollingUpdate']));
  }
  if (typeof spec.revisionHistoryLimit === 'number' && spec.revisionHistoryLimit < 0) errs.push(invalid('spec.revisionHistoryLimit', spec.revisionHistoryLimit, 'must be greater than or equal to 0'));
  return errs;
}

export function validateDaemonSetUpdate(next: WireDaemonSet, prev: WireDaemonSet): FieldError[] {
  const errs = validateDaemonSetSpec(next);
  if (!deepEqual(next.spec?.selector, prev.spec?.selector)) errs.push(invalid('spec.selector', next.spec?.selector ?? null, 'field is immutable'));
  return errs;
}

export function validateDaemonSetStatus(ds: WireDaemonSet): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(ds.status ?? {})) {
    if (typeof v === 'number' && v < 0) errs.push(invalid(`status.${k}`, v, 'must be greater than or equal to 0'));
  }
  return errs;
}

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const SERVICE_PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

export function validateService(svc: WireService, prev?: WireService): FieldError[] {
  const errs: FieldError[] = [];
  const spec = svc.spec ?? {};
  const type = spec.type ?? 'ClusterIP';
  if (!SERVICE_TYPES.includes(type)) errs.push(notSupported('spec.type', type, SERVICE_TYPES));
  const ports = spec.ports ?? [];
  const headless = spec.clusterIP === 'None';
  if (type !== 'ExternalName' && !headless && ports.length === 0) errs.push(required('spec.ports'));
  const names = new Set<string>();
  const portKeys = new Set<string>();
  ports.forEach((p, i) => {
    const pf = `spec.ports[${i}]`;
    if (ports.length > 1 && !p.name) errs.push(required(`${pf}.name`));
    if (p.name) {
      for (const m of portName(p.name)) errs.push(invalid(`${pf}.name`, p.name, m));
      if (names.has(p.name)) errs.push(duplicate(`${pf}.name`, p.name));
      names.add(p.name);
    }
    for (const m of portNumber(p.port ?? 0)) errs.push(invalid(`${pf}.port`, p.port ?? 0, m));
    if (!SERVICE_PROTOCOLS.includes(p.protocol ?? '')) errs.push(notSupported(`${pf}.protocol`, p.protocol ?? '', SERVICE_PROTOCOLS));
    const key = `${p.port}/${p.protocol}`;
    if (portKeys.has(key)) errs.push(duplicate(pf, { port: p.port, protocol: p.protocol }));
    portKeys.add(key);
    if (p.nodePort !== undefined && p.nodePort !== 0) {
      if (type !== 'NodePort' && type !== 'LoadBalancer') errs.push(forbiddenField(`${pf}.nodePort`, 'may not be used when `type` is \'ClusterIP\''));
      else for (const m of portNumber(p.nodePort)) errs.push(invalid(`${pf}.nodePort`, p.nodePort, m));
    }
  });
  if (spec.loadBalancerClass !== undefined) {
    if (type !== 'LoadBalancer') errs.push(forbiddenField('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'"));
    else if (!spec.loadBalancerClass.includes('/')) errs.push(invalid('spec.loadBalancerClass', spec.loadBalancerClass, 'must be a label key with a domain prefix (e.g. "example.com/my-class")'));
    else for (const m of qualifiedName(spec.loadBalancerClass)) errs.push(invalid('spec.loadBalancerClass', spec.loadBalancerClass, m));
  }
  if (prev !== undefined && prev.spec?.type === 'LoadBalancer' && type === 'LoadBalancer' && prev.spec.loadBalancerClass !== spec.loadBalancerClass) {
    errs.push(invalid('spec.loadBalancerClass', spec.loadBalancerClass ?? null, 'may not change once set'));
  }
  if (spec.externalTrafficPolicy !== undefined) {
    if (type !== 'NodePort' && type !== 'LoadBalancer') errs.push(invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, 'may only be set for externally-accessible services'));
    else if (!['Cluster', 'Local'].includes(spec.externalTrafficPolicy)) errs.push(notSupported('spec.externalTrafficPolicy', spec.externalTrafficPolicy, ['Cluster', 'Local']));
  }
  if (spec.allocateLoadBalancerNodePorts !== undefined && type !== 'LoadBalancer') {
    errs.push(forbiddenField('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  (spec.loadBalancerSourceRanges ?? []).forEach((r, i) => {
    if (type !== 'LoadBalancer') errs.push(forbiddenField('spec.loadBalancerSourceRanges', "may only be used when `type` is 'LoadBalancer'"));
    for (const m of cidr(r.trim())) errs.push(invalid(`spec.loadBalancerSourceRanges[${i}]`, r, m));
  });
  const families = spec.ipFamilies ?? [];
  families.forEach((fam, i) => {
    if (fam !== 'IPv4' && fam !== 'IPv6') errs.push(notSupported(`spec.ipFamilies[${i}]`, fam, ['IPv4', 'IPv6']));
    if (families.indexOf(fam) !== i) errs.push(duplicate(`spec.ipFamilies[${i}]`, fam));
  });
  if (families.length > 2) errs.push(invalid('spec.ipFamilies', families, 'may specify no more than one IP for each IP family'));
  const policy = spec.ipFamilyPolicy;
  if (policy !== undefined && !['SingleStack', 'PreferDualStack', 'RequireDualStack'].includes(policy)) {
    errs.push(notSupported('spec.ipFamilyPolicy', policy, ['PreferDualStack', 'RequireDualStack', 'SingleStack']));
  }
  if (policy === 'SingleStack' && families.length > 1) errs.push(invalid('spec.ipFamilies', families, 'when spec.ipFamilyPolicy is SingleStack, may specify no more than one IP family'));
  if (policy === 'RequireDualStack' && families.length === 1) errs.push(invalid('spec.ipFamilies', families, 'when spec.ipFamilyPolicy is RequireDualStack, must specify two IP families'));
  for (const [k, v] of Object.entries(spec.selector ?? {})) {
    for (const m of qualifiedName(k)) errs.push(invalid('spec.selector', k, m));
    for (const m of labelValue(v)) errs.push(invalid('spec.selector', v, m));
  }
  return errs;
}

const MAX_REASON = 1024;
const MAX_MESSAGE = 32 * 1024;
const CONDITION_REASON = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;

/** metav1.Condition validation (ValidateConditions). */
export function validateConditions(conditions: WireCondition[] | undefined, f: string): FieldError[] {
  const errs: FieldError[] = [];
  const types = new Set<string>();
  (conditions ?? []).forEach((c, i) => {
    const cf = `${f}[${i}]`;
    const type = c.type ?? '';
    if (types.has(type)) errs.push(duplicate(`${cf}.type`, type));
    types.add(type);
    if (type === '') errs.push(required(`${cf}.type`, 'name part must be non-empty'));
    else for (const m of qualifiedName(type)) errs.push(invalid(`${cf}.type`, type, m));
    if (!['True', 'False', 'Unknown'].includes(c.status ?? '')) errs.push(notSupported(`${cf}.status`, c.status ?? '', ['False', 'True', 'Unknown']));
    if (typeof c.observedGeneration === 'number' && c.observedGeneration < 0) errs.push(invalid(`${cf}.observedGeneration`, c.observedGeneration, 'must be greater than or equal to zero'));
    if (!c.lastTransitionTime) errs.push(required(`${cf}.lastTransitionTime`, 'must be set'));
    const reason = c.reason ?? '';
    if (reason === '') errs.push(required(`${cf}.reason`, 'must be set'));
    else {
      if (!CONDITION_REASON.test(reason)) {
        errs.push(invalid(`${cf}.reason`, reason, "a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName',  or 'ReasonA,ReasonB',  or 'ReasonA:ReasonB', regex used for validation is '[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?')"));
      }
      if (reason.length > MAX_REASON) errs.push(tooLong(`${cf}.reason`, MAX_REASON));
    }
    if ((c.message ?? '').length > MAX_MESSAGE) errs.push(tooLong(`${cf}.message`, MAX_MESSAGE));
  });
  return errs;
}

export function validateServiceStatus(svc: WireService): FieldError[] {
  const errs: FieldError[] = [];
  const status: WireServiceStatus = svc.status ?? {};
  const ingress = status.loadBalancer?.ingress ?? [];
  if (svc.spec?.type !== 'LoadBalancer' && ingress.length > 0) {
    errs.push(forbiddenField('status.loadBalancer.ingress', "may only be used when `spec.type` is 'LoadBalancer'"));
  } else {
    ingress.forEach((ing, i) => {
      const f = `status.loadBalancer.ingress[${i}]`;
      const ip = ing.ip ?? '';
      if (ip !== '') for (const m of ipAddress(ip)) errs.push(invalid(`${f}.ip`, ip, m));
      if (ing.ipMode === undefined) {
        if (ip !== '') errs.push(required(`${f}.ipMode`, 'must be specified when `ip` is set'));
      } else if (ip === '') {
        errs.push(forbiddenField(`${f}.ipMode`, 'may not be specified when `ip` is not set'));
      } else if (ing.ipMode !== 'VIP' && ing.ipMode !== 'Proxy') {
        errs.push(notSupported(`${f}.ipMode`, ing.ipMode, ['Proxy', 'VIP']));
      }
      const host = ing.hostname ?? '';
      if (host !== '') {
        for (const m of dns1123Subdomain(host)) errs.push(invalid(`${f}.hostname`, host, m));
        if (isIP(host) !== 0) errs.push(invalid(`${f}.hostname`, host, 'must be a DNS name, not an IP address'));
      }
    });
  }
  errs.push(...validateConditions(status.conditions, 'status.conditions'));
  return errs;
}

export function validateNode(node: WireNode): FieldError[] {
  const errs: FieldError[] = [];
  (node.spec?.taints ?? []).forEach((t, i) => {
    const f = `spec.taints[${i}]`;
    if (!t.key) errs.push(required(`${f}.key`));
    else for (const m of qualifiedName(t.key)) errs.push(invalid(`${f}.key`, t.key, m));
    if (!['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(t.effect)) errs.push(notSupported(`${f}.effect`, t.effect, ['NoExecute', 'NoSchedule', 'PreferNoSchedule']));
    if (t.value) for (const m of labelValue(t.value)) errs.push(invalid(`${f}.value`, t.value, m));
  });
  return errs;
}

/** Core/v1 Events keep the legacy rules: without eventTime only the namespace must agree. */
export function validateEvent(ev: WireEvent): FieldError[] {
  const errs: FieldError[] = [];
  const ns = ev.metadata.namespace ?? '';
  const involvedNs = ev.involvedObject?.namespace ?? '';
  if (!ev.eventTime) {
    if (involvedNs === '') {
      if (ns !== '' && ns !== 'default') errs.push(invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
    } else if (ns !== involvedNs) {
      errs.push(invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
    }
  } else {
    if (involvedNs === '' && ns !== 'default' && ns !== 'kube-system') errs.push(invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
    const rc = ev.reportingComponent ?? '';
    if (rc === '') errs.push(required('reportingComponent'));
    else for (const m of qualifiedName(rc)) errs.push(invalid('reportingComponent', rc, m));
    if (!ev.reportingInstance) errs.push(required('reportingInstance'));
    else if (ev.reportingInstance.length > 128) errs.push(invalid('reportingInstance', '', 'can have at most 128 characters'));
    if (!ev.action) errs.push(required('action'));
    else if (ev.action.length > 128) errs.push(invalid('action', '', 'can have at most 128 characters'));
    if (!ev.reason) errs.push(required('reason'));
    else if (ev.reason.length > 128) errs.push(invalid('reason', '', 'can have at most 128 characters'));
    if ((ev.message ?? '').length > 1024) errs.push(invalid('message', '', 'can have at most 1024 characters'));
  }
  for (const m of dns1123Subdomain(ns)) errs.push(invalid('namespace', ns, m));
  return errs;
}

export function validateEndpointSlice(es: WireEndpointSlice, prev?: WireEndpointSlice): FieldError[] {
  const errs: FieldError[] = [];
  const type = es.addressType ?? '';
  if (type === '') errs.push(required('addressType'));
  else if (!['IPv4', 'IPv6', 'FQDN'].includes(type)) errs.push(notSupported('addressType', type, ['FQDN', 'IPv4', 'IPv6']));
  if (prev !== undefined && prev.addressType !== es.addressType) errs.push(invalid('addressType', type, 'field is immutable'));
  (es.endpoints ?? []).forEach((ep, i) => {
    const addrs = ep.addresses ?? [];
    if (addrs.length === 0) errs.push(required(`endpoints[${i}].addresses`, 'must contain at least 1 address'));
    if (addrs.length > 100) errs.push(tooLong(`endpoints[${i}].addresses`, 100));
    addrs.forEach((a, j) => {
      const want = type === 'IPv4' ? 4 : type === 'IPv6' ? 6 : 0;
      if (want !== 0 && isIP(a) !== want) errs.push(invalid(`endpoints[${i}].addresses[${j}]`, a, `must be a valid ${type} address`));
    });
    if (ep.nodeName) for (const m of dns1123Subdomain(ep.nodeName)) errs.push(invalid(`endpoints[${i}].nodeName`, ep.nodeName, m));
  });
  (es.ports ?? []).forEach((p, i) => {
    if (p.name) for (const m of dns1123Label(p.name)) errs.push(invalid(`ports[${i}].name`, p.name, m));
    if (p.port !== undefined) for (const m of portNumber(p.port)) errs.push(invalid(`ports[${i}].port`, p.port, m));
  });
  return errs;
}
