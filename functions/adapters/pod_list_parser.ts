// Folds a Kubernetes PodList JSON body into ProxyPodViews as its bytes arrive, without building
// the pods: only metadata.labels[nodelb.dev/daemonset], spec.nodeName (or, unbound, the node the
// DaemonSet controller pinned through matchFields), status.phase, the Ready and PodScheduled
// conditions and container waiting reasons are decoded; everything else is skipped; end() gives
// the list's metadata (the continue token). Pure.
//
// Why not JSON.parse: a pod is ~6 KB of JSON and ~150 objects; a 300-node × 100-Service cluster
// has 30 000 proxy pods, a 1000 × 1000 one a million. Measured by bench/list_parse.ts (deployed
// heap settings), listing 100 000 pods by JSON.parse per page of 500 took 2.4× the CPU and 30 MiB
// more peak RSS than this parser (numbers in the README's "Dependencies, and why").
import type { ProxyPodView } from '../core/model.ts';
import { DAEMONSET_LABEL } from '../core/naming.ts';
import { STUCK_WAITING_REASONS, stuckReason } from '../core/proxy_pods.ts';

export interface PodListMeta {
  continue?: string;
  resourceVersion?: string;
}

// What the innermost open container is, as far as this parser cares.
const OTHER = 0;
const TOP = 1; // the PodList object
const LIST_META = 2; // PodList.metadata
const ITEMS = 3; // PodList.items
const ITEM = 4; // a Pod
const META = 5; // Pod.metadata
const LABELS = 6; // Pod.metadata.labels
const SPEC = 7; // Pod.spec
const STATUS = 8; // Pod.status
const CONDITIONS = 9; // Pod.status.conditions
const CONDITION = 10; // one condition
const AFFINITY = 11; // Pod.spec.affinity
const NODE_AFFINITY = 12; // .nodeAffinity
const REQUIRED = 13; // .requiredDuringSchedulingIgnoredDuringExecution
const TERMS = 14; // .nodeSelectorTerms
const TERM = 15;
const MATCH_FIELDS = 16; // term.matchFields
const MATCH_FIELD = 17;
const VALUES = 18; // matchField.values: an array of strings
const CSTATUSES = 19; // Pod.status.containerStatuses and initContainerStatuses
const CSTATUS = 20;
const CSTATE = 21; // containerStatus.state
const WAITING = 22; // state.waiting

/** Arrays we read, and what their object elements are (VALUES holds strings). */
const ELEMENT: Record<number, number> = { [ITEMS]: ITEM, [CONDITIONS]: CONDITION, [TERMS]: TERM, [MATCH_FIELDS]: MATCH_FIELD, [CSTATUSES]: CSTATUS, [VALUES]: OTHER };

// Keys that matter, by the container they appear in; each maps to the child context or field.
const F_CONTINUE = 100;
const F_RV = 101;
const F_DAEMONSET = 102;
const F_NODE_NAME = 103;
const F_PHASE = 104;
const F_TYPE = 105;
const F_STATUS = 106;
const F_REASON = 107; // condition reason
const F_FIELD_KEY = 108; // matchField key
const F_WAITING_REASON = 109;

const KEYS: Record<number, [string, number][]> = {
  [TOP]: [
    ['items', ITEMS],
    ['metadata', LIST_META],
  ],
  [LIST_META]: [
    ['continue', F_CONTINUE],
    ['resourceVersion', F_RV],
  ],
  [ITEM]: [
    ['metadata', META],
    ['spec', SPEC],
    ['status', STATUS],
  ],
  [META]: [['labels', LABELS]],
  [LABELS]: [[DAEMONSET_LABEL, F_DAEMONSET]],
  [SPEC]: [
    ['nodeName', F_NODE_NAME],
    ['affinity', AFFINITY],
  ],
  [AFFINITY]: [['nodeAffinity', NODE_AFFINITY]],
  [NODE_AFFINITY]: [['requiredDuringSchedulingIgnoredDuringExecution', REQUIRED]],
  [REQUIRED]: [['nodeSelectorTerms', TERMS]],
  [TERM]: [['matchFields', MATCH_FIELDS]],
  [MATCH_FIELD]: [
    ['key', F_FIELD_KEY],
    ['values', VALUES],
  ],
  [STATUS]: [
    ['phase', F_PHASE],
    ['conditions', CONDITIONS],
    ['containerStatuses', CSTATUSES],
    ['initContainerStatuses', CSTATUSES],
  ],
  [CONDITION]: [
    ['type', F_TYPE],
    ['status', F_STATUS],
    ['reason', F_REASON],
  ],
  [CSTATUS]: [['state', CSTATE]],
  [CSTATE]: [['waiting', WAITING]],
  [WAITING]: [['reason', F_WAITING_REASON]],
};

const KEY_BYTES: Record<number, [Buffer, number][]> = Object.fromEntries(
  Object.entries(KEYS).map(([ctx, list]) => [ctx, list.map(([k, code]) => [Buffer.from(k, 'utf8'), code] as [Buffer, number])]),
);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export class PodListParser {
  private readonly onPod: (pod: ProxyPodView) => void;
  private readonly strings = new Map<string, string>();
  private ctx: number[] = [];
  private isObject: boolean[] = [];
  private key: number[] = []; // per open object: the code of the key whose value comes next
  private expectKey = false;
  private tail: Buffer | undefined; // an unfinished string token carried to the next chunk
  // Inside a container nothing is read from (most of a pod: containers, probes, statuses), bytes
  // are only counted: open containers, and whether a string (and an escape) is open.
  private skipDepth = 0;
  private skipInString = false;
  private skipEscape = false;
  private started = false;
  private meta: PodListMeta = {};
  // The pod and condition being read.
  private daemonSet = '';
  private nodeName = '';
  private phase = '';
  private ready = false;
  private pinnedNode = ''; // matchFields metadata.name of an unbound daemon pod
  private unschedulable = false;
  private waitingStuck = '';
  private condType = 0; // 1 Ready, 2 PodScheduled, 0 another
  private condStatus = ''; // 'True', 'False' or another
  private condUnschedulable = false;
  private fieldIsName = false;
  private fieldValue = '';

  constructor(onPod: (pod: ProxyPodView) => void) {
    this.onPod = onPod;
  }

  push(chunk: Uint8Array): void {
    let b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let i = 0;
    if (this.tail) {
      // Finish the string cut by the previous chunk on its own, without copying this chunk.
      const tail = this.tail;
      this.tail = undefined;
      const joined = Buffer.concat([tail, b.subarray(0, Math.min(b.length, 4096))]);
      const end = closingQuote(joined, 1);
      if (end < 0 || end < tail.length) {
        b = Buffer.concat([tail, b]); // a long string: rare, the slow way
      } else {
        this.string(joined, 1, end);
        i = end + 1 - tail.length;
      }
    }
    const n = b.length;
    while (i < n) {
      if (this.skipDepth > 0) {
        i = this.skip(b, i);
        continue;
      }
      const c = b[i] as number;
      if (c === QUOTE) {
        const end = closingQuote(b, i + 1);
        if (end < 0) {
          this.tail = Buffer.from(b.subarray(i)); // a copy: the chunk's memory may be reused
          return;
        }
        this.string(b, i + 1, end);
        i = end + 1;
        continue;
      }
      switch (c) {
        case 0x7b: // {
        case 0x5b: // [
          this.open(c === 0x7b);
          break;
        case 0x7d: // }
        case 0x5d: // ]
          this.close();
          break;
        case 0x3a: // :
          this.expectKey = false;
          break;
        case 0x2c: // ,
          if (this.isObject[this.isObject.length - 1]) this.expectKey = true;
          break;
        default:
          break; // whitespace, numbers, true/false/null
      }
      i++;
    }
  }

  /** Skips bytes of an ignored container from `i`; returns where reading resumes. */
  private skip(b: Buffer, from: number): number {
    const n = b.length;
    let depth = this.skipDepth;
    let i = from;
    // A string left open by the previous chunk (and an escape at its very end).
    if (this.skipEscape) {
      if (i >= n) return i;
      i++;
      this.skipEscape = false;
    }
    let inString = this.skipInString;
    // Tight inner loops: a string runs to its quote without looking at brackets, and brackets
    // are only counted outside strings.
    while (i < n) {
      if (inString) {
        let c = 0;
        while (i < n) {
          c = b[i++] as number;
          if (c === QUOTE) break;
          if (c === BACKSLASH) {
            if (i >= n) {
              this.skipEscape = true;
              break;
            }
            i++;
          }
        }
        if (c !== QUOTE || this.skipEscape) break; // the chunk ended inside the string
        inString = false;
        continue;
      }
      const c = b[i++];
      if (c === QUOTE) inString = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if ((c === 0x7d || c === 0x5d) && --depth === 0) break;
    }
    this.skipDepth = depth;
    this.skipInString = inString;
    return i;
  }

  /** The list's metadata; throws when the body ended before the JSON did. */
  end(): PodListMeta {
    if (!this.started || this.ctx.length > 0 || this.skipDepth > 0 || this.tail) throw new SyntaxError('the pod list ended before its JSON did (truncated answer)');
    return this.meta;
  }

  private open(object: boolean): void {
    const depth = this.ctx.length;
    let next = OTHER;
    if (depth === 0) {
      next = object ? TOP : OTHER;
      this.started = true;
    } else {
      const parent = this.ctx[depth - 1] as number;
      if (!this.isObject[depth - 1]) next = object ? (ELEMENT[parent] ?? OTHER) : OTHER;
      else if (parent !== OTHER) {
        const k = this.key[depth - 1] as number;
        // A field we decode must be a string; a container in its place is skipped.
        if (k in ELEMENT) next = object ? OTHER : k;
        else if (k >= TOP && k < F_CONTINUE) next = object ? k : OTHER;
      }
    }
    if (next === OTHER) {
      // Its closing bracket is consumed by skip(); the parent then expects a comma or its end.
      this.skipDepth = 1;
      this.skipInString = false;
      this.skipEscape = false;
      this.expectKey = false;
      return;
    }
    if (next === ITEM) {
      this.daemonSet = '';
      this.nodeName = '';
      this.phase = '';
      this.ready = false;
      this.pinnedNode = '';
      this.unschedulable = false;
      this.waitingStuck = '';
    } else if (next === CONDITION) {
      this.condType = 0;
      this.condStatus = '';
      this.condUnschedulable = false;
    } else if (next === MATCH_FIELD) {
      this.fieldIsName = false;
      this.fieldValue = '';
    }
    this.ctx.push(next);
    this.isObject.push(object);
    this.key.push(OTHER);
    this.expectKey = object;
  }

  private close(): void {
    const closed = this.ctx.pop();
    this.isObject.pop();
    this.key.pop();
    this.expectKey = false;
    if (closed === ITEM) {
      // One literal with every field: a view that gains nodeName later takes half as much again.
      const phase = this.phase || 'Unknown';
      const node = this.nodeName || this.pinnedNode;
      const stuck = stuckReason(this.unschedulable, this.waitingStuck);
      if (stuck !== undefined) this.onPod({ daemonSet: this.daemonSet, ...(node ? { nodeName: node } : {}), ready: this.ready, phase, stuck });
      else this.onPod(node ? { daemonSet: this.daemonSet, nodeName: node, ready: this.ready, phase } : { daemonSet: this.daemonSet, ready: this.ready, phase });
    } else if (closed === CONDITION) {
      if (this.condType === 1 && this.condStatus === 'True') this.ready = true;
      if (this.condType === 2 && this.condStatus === 'False' && this.condUnschedulable) this.unschedulable = true;
    } else if (closed === MATCH_FIELD) {
      if (this.fieldIsName && this.fieldValue && !this.pinnedNode) this.pinnedNode = this.fieldValue;
    }
  }

  private string(b: Buffer, start: number, end: number): void {
    const depth = this.ctx.length;
    const here = depth > 0 ? (this.ctx[depth - 1] as number) : OTHER;
    if (here === VALUES) {
      if (this.fieldValue === '') this.fieldValue = this.intern(decode(b, start, end));
      return;
    }
    if (here === OTHER || !this.isObject[depth - 1]) return; // other array elements: nothing we read
    if (this.expectKey) {
      this.key[depth - 1] = keyCode(here, b, start, end);
      return;
    }
    const field = this.key[depth - 1] as number;
    if (field < F_CONTINUE) return;
    // Condition type and status are only compared: decoding them (ten strings a pod) cost more
    // than the rest of the pod.
    if (field === F_TYPE) {
      this.condType = equals(b, start, end, READY) ? 1 : equals(b, start, end, POD_SCHEDULED) ? 2 : 0;
      return;
    }
    if (field === F_STATUS) {
      this.condStatus = equals(b, start, end, TRUE) ? 'True' : equals(b, start, end, FALSE) ? 'False' : '';
      return;
    }
    if (field === F_REASON) {
      this.condUnschedulable = equals(b, start, end, UNSCHEDULABLE);
      return;
    }
    if (field === F_FIELD_KEY) {
      this.fieldIsName = equals(b, start, end, METADATA_NAME);
      return;
    }
    const value = decode(b, start, end);
    switch (field) {
      case F_CONTINUE:
        this.meta.continue = value;
        break;
      case F_RV:
        this.meta.resourceVersion = value;
        break;
      case F_DAEMONSET:
        this.daemonSet = this.intern(value);
        break;
      case F_NODE_NAME:
        this.nodeName = this.intern(value);
        break;
      case F_PHASE:
        this.phase = this.intern(value);
        break;
      case F_WAITING_REASON:
        if (this.waitingStuck === '' && STUCK_WAITING_REASONS.has(value)) this.waitingStuck = this.intern(value);
        break;
    }
  }

  /** A million pods name a thousand DaemonSets and a thousand nodes: keep one copy of each. */
  private intern(s: string): string {
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    this.strings.set(s, s);
    return s;
  }
}

/** Index of the quote that ends the string starting at `from`, or -1 if it is not in `b` yet.
 *  A plain loop: most strings are a few bytes, where a native indexOf call costs more. */
function closingQuote(b: Buffer, from: number): number {
  const n = b.length;
  for (let j = from; j < n; j++) {
    const c = b[j];
    if (c === QUOTE) return j;
    if (c === BACKSLASH) j++;
  }
  return -1;
}

const READY = Buffer.from('Ready');
const TRUE = Buffer.from('True');
const FALSE = Buffer.from('False');
const POD_SCHEDULED = Buffer.from('PodScheduled');
const UNSCHEDULABLE = Buffer.from('Unschedulable');
const METADATA_NAME = Buffer.from('metadata.name');

/** Whether the JSON string at [start, end) is `want`. */
function equals(b: Buffer, start: number, end: number, want: Buffer): boolean {
  if (end - start === want.length) return sameBytes(want, b, start);
  return b.indexOf(BACKSLASH, start) >= 0 && b.indexOf(BACKSLASH, start) < end && decode(b, start, end) === want.toString();
}

function decode(b: Buffer, start: number, end: number): string {
  const raw = b.toString('utf8', start, end);
  return raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
}

function sameBytes(want: Buffer, b: Buffer, at: number): boolean {
  for (let k = 0; k < want.length; k++) if (want[k] !== b[at + k]) return false;
  return true;
}

function keyCode(ctx: number, b: Buffer, start: number, end: number): number {
  const candidates = KEY_BYTES[ctx];
  if (!candidates) return OTHER;
  const len = end - start;
  for (const [bytes, code] of candidates) {
    if (bytes.length === len && sameBytes(bytes, b, start)) return code;
  }
  // An escaped spelling of a key (legal JSON, never sent by the API server) still counts.
  if (b.indexOf(BACKSLASH, start) >= 0 && b.indexOf(BACKSLASH, start) < end) {
    const key = decode(b, start, end);
    for (const [name, code] of KEYS[ctx] ?? []) if (name === key) return code;
  }
  return OTHER;
}
