// Structured logging for Cloud Logging: one JSON object per line with severity, message, a
// stable event name and string labels. Injected everywhere (never global); sinks do the I/O.

export type Severity = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

const RANK: Record<Severity, number> = { DEBUG: 100, INFO: 200, WARNING: 400, ERROR: 500 };

/** Fields that Cloud Logging indexes as labels (strings only); everything else is jsonPayload. */
const LABEL_KEYS = new Set(['component', 'cluster', 'trigger', 'runId']);
export const LABELS_FIELD = 'logging.googleapis.com/labels';

export type LogFields = Record<string, unknown>;

export interface LogEntry {
  severity: Severity;
  message: string;
  event: string;
  time: string;
  [LABELS_FIELD]?: Record<string, string>;
  stack_trace?: string;
  [field: string]: unknown;
}

export interface Logger {
  debug(event: string, message: string, fields?: LogFields): void;
  info(event: string, message: string, fields?: LogFields): void;
  warn(event: string, message: string, fields?: LogFields): void;
  /** `fields.error` (an Error) becomes error + stack_trace, which Error Reporting picks up. */
  error(event: string, message: string, fields?: LogFields): void;
  /** Same sink and level; `component`, `cluster`, `trigger`, `runId` go to the labels. */
  child(fields: LogFields): Logger;
}

export type LogSink = (entry: LogEntry) => void;

export const stdoutSink: LogSink = (entry) => {
  process.stdout.write(`${JSON.stringify(entry)}\n`);
};

/** Keeps entries in memory, for tests and for reports that quote the log. */
export function captureSink(): { sink: LogSink; entries: LogEntry[]; events(): string[] } {
  const entries: LogEntry[] = [];
  return { sink: (e) => entries.push(e), entries, events: () => entries.map((e) => e.event) };
}

export function createLogger(opts: { level?: Severity; sink?: LogSink; now?: () => number; fields?: LogFields } = {}): Logger {
  const level = RANK[opts.level ?? 'INFO'];
  const sink = opts.sink ?? stdoutSink;
  const now = opts.now ?? Date.now;
  const initial = splitLabels(opts.fields ?? {});
  return build(initial.labels, initial.fields);

  function build(labels: Record<string, string>, fields: LogFields): Logger {
    const write = (severity: Severity, event: string, message: string, extra?: LogFields) => {
      if (RANK[severity] < level) return;
      const entry: LogEntry = { severity, message, event, time: new Date(now()).toISOString() };
      const split = splitLabels({ ...fields, ...extra });
      const allLabels = { ...labels, ...split.labels };
      if (Object.keys(allLabels).length > 0) entry[LABELS_FIELD] = allLabels;
      for (const [k, v] of Object.entries(split.fields)) {
        if (k === 'error') Object.assign(entry, describeForLog(v));
        else if (!(k in entry)) entry[k] = v;
      }
      sink(entry);
    };
    return {
      debug: (e, m, f) => write('DEBUG', e, m, f),
      info: (e, m, f) => write('INFO', e, m, f),
      warn: (e, m, f) => write('WARNING', e, m, f),
      error: (e, m, f) => write('ERROR', e, m, f),
      child: (more) => {
        const split = splitLabels(more);
        return build({ ...labels, ...split.labels }, { ...fields, ...split.fields });
      },
    };
  }
}

function splitLabels(all: LogFields): { labels: Record<string, string>; fields: LogFields } {
  const labels: Record<string, string> = {};
  const fields: LogFields = {};
  for (const [k, v] of Object.entries(all)) {
    if (v === undefined) continue;
    if (LABEL_KEYS.has(k)) labels[k] = String(v);
    else fields[k] = v;
  }
  return { labels, fields };
}

function describeForLog(e: unknown): LogFields {
  if (!(e instanceof Error)) return { error: String(e) };
  const out: LogFields = { error: e.message };
  if (e.stack) out.stack_trace = e.stack;
  for (const k of ['api', 'op', 'status', 'reason', 'retryable', 'fix'] as const) {
    const v = (e as unknown as Record<string, unknown>)[k];
    if (v !== undefined) out[`error_${k}`] = v;
  }
  return out;
}

/** A logger that drops everything (for callers that do not care). */
export const silentLogger: Logger = createLogger({ sink: () => {} });
