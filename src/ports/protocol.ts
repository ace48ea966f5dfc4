/**
 * The port protocol (docs/ports.md): newline-delimited JSON over the child's stdin and stdout.
 * These are the messages and the checks a worker applies to what a child writes.
 */
export const PORT_PROTOCOL_VERSION = 1;

/** First line a port writes: its protocol version and the job types it handles. */
export interface HelloMessage {
  readonly kind: 'hello';
  readonly protocol: number;
  readonly types: readonly string[];
  readonly name?: string;
}

/** One job, written by the worker to the child's stdin. */
export interface JobRequest {
  readonly kind: 'job';
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  readonly attempt: number;
  /** Epoch milliseconds after which the worker kills the child; null when the job has no timeout. */
  readonly deadline: number | null;
  /**
   * A parent in a flow or a batch's callback (docs/workflows.md): its children's outcomes, in
   * order of definition, as ctx.children() answers them. Absent for a job without children.
   */
  readonly children?: readonly {
    readonly id: string;
    readonly status: 'done' | 'failed' | 'cancelled';
    readonly value?: unknown;
    readonly error?: string;
  }[];
  /**
   * The W3C Trace Context of the attempt's span, when the worker traces with an OpenTelemetry
   * SDK (docs/library.md, "Tracing"): a port that traces makes its spans children of it.
   */
  readonly traceparent?: string;
  readonly tracestate?: string;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type ChildMessage =
  | HelloMessage
  | { readonly kind: 'ok'; readonly id: string; readonly value: unknown }
  | {
      readonly kind: 'error';
      readonly id: string;
      readonly message: string;
      readonly retryable: boolean;
    }
  | { readonly kind: 'progress'; readonly id: string; readonly value: unknown }
  | {
      readonly kind: 'log';
      readonly id: string;
      readonly level: LogLevel;
      readonly message: string;
    };

const LOG_LEVELS: readonly string[] = ['debug', 'info', 'warn', 'error'];

/** A line the child wrote that breaks the protocol; the child is killed for it. */
export class ProtocolViolation extends Error {
  override readonly name = 'ProtocolViolation';
}

function quote(line: string): string {
  return JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}…` : line);
}

/** Parses one line of the child's stdout, or throws ProtocolViolation saying what is wrong. */
export function parseChildLine(line: string): ChildMessage {
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch {
    throw new ProtocolViolation(`wrote a line that is not JSON: ${quote(line)}`);
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
    throw new ProtocolViolation(`wrote JSON that is not an object: ${quote(line)}`);
  }
  const m = msg as Record<string, unknown>;
  const bad = (why: string) =>
    new ProtocolViolation(`${String(m.kind)} message ${why}: ${quote(line)}`);
  switch (m.kind) {
    case 'hello':
      if (!Number.isInteger(m.protocol)) throw bad('has no integer `protocol`');
      if (
        !Array.isArray(m.types) ||
        m.types.length === 0 ||
        !m.types.every((t) => typeof t === 'string')
      )
        throw bad('needs `types`, a non-empty array of strings');
      if (m.name !== undefined && typeof m.name !== 'string')
        throw bad('has a `name` that is not a string');
      return m as unknown as HelloMessage;
    case 'ok':
    case 'progress':
      if (typeof m.id !== 'string') throw bad('has no string `id`');
      if (!('value' in m)) throw bad('has no `value`');
      return m as unknown as ChildMessage;
    case 'error':
      if (typeof m.id !== 'string') throw bad('has no string `id`');
      if (typeof m.message !== 'string') throw bad('has no string `message`');
      if (m.retryable !== undefined && typeof m.retryable !== 'boolean')
        throw bad('has a `retryable` that is not a boolean');
      return { kind: 'error', id: m.id, message: m.message, retryable: m.retryable !== false };
    case 'log':
      if (typeof m.id !== 'string') throw bad('has no string `id`');
      if (typeof m.message !== 'string') throw bad('has no string `message`');
      return {
        kind: 'log',
        id: m.id,
        message: m.message,
        level: (LOG_LEVELS.includes(String(m.level)) ? m.level : 'info') as LogLevel,
      };
    default:
      throw new ProtocolViolation(
        `wrote a message of unknown kind ${JSON.stringify(m.kind)}: ${quote(line)}`,
      );
  }
}
