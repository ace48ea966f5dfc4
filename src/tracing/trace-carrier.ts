import {
  ROOT_CONTEXT,
  context,
  createTraceState,
  trace,
  type Context,
  type SpanContext,
} from '@opentelemetry/api';

/**
 * The W3C Trace Context of the request that submitted a job, stored with it (the job's `opts`,
 * docs/protocol.md): each attempt's span is its child. Plain strings, as the headers carry them.
 */
export interface TraceCarrier {
  readonly traceparent: string;
  readonly tracestate?: string;
}

// Version 00 as the W3C recommendation writes it; a later version is read by its first four
// fields, as the spec asks of a reader that knows only 00.
const TRACEPARENT_RE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
/** The spec's limit for tracestate: 32 members of at most 256 characters; we keep 512. */
const TRACESTATE_MAX = 512;

/** The span context a traceparent names, or undefined when it is not a valid one. */
function parseTraceparent(value: string): SpanContext | undefined {
  const m = TRACEPARENT_RE.exec(value.trim());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, traceFlags: parseInt(flags, 16) & 1, isRemote: true };
}

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The carrier of request headers (HTTP's `traceparent` and `tracestate`), or undefined when
 * they carry no valid traceparent: an invalid one is ignored, as the W3C spec asks, never
 * refused.
 */
export function traceFromHeaders(
  headers: Record<string, string | string[] | undefined>,
): TraceCarrier | undefined {
  const traceparent = one(headers.traceparent);
  if (traceparent === undefined || !parseTraceparent(traceparent)) return undefined;
  // Several tracestate headers are one list (RFC 9110 field combination).
  const raw = headers.tracestate;
  const tracestate = (Array.isArray(raw) ? raw.join(',') : raw)?.trim();
  return tracestate && tracestate.length <= TRACESTATE_MAX
    ? { traceparent: traceparent.trim(), tracestate }
    : { traceparent: traceparent.trim() };
}

/**
 * The carrier of the active context (a span the application started), or undefined: without
 * an OpenTelemetry SDK there is never one, and this costs a lookup.
 */
export function activeTrace(): TraceCarrier | undefined {
  const sc = trace.getSpanContext(context.active());
  if (!sc || !trace.isSpanContextValid(sc)) return undefined;
  const flags = (sc.traceFlags & 0xff).toString(16).padStart(2, '0');
  const traceparent = `00-${sc.traceId}-${sc.spanId}-${flags}`;
  const tracestate = sc.traceState?.serialize();
  return tracestate ? { traceparent, tracestate } : { traceparent };
}

/** The context whose remote parent the carrier names (ROOT_CONTEXT for none or an invalid one). */
export function contextOf(carrier: Partial<TraceCarrier> | undefined): Context {
  const sc = carrier?.traceparent === undefined ? undefined : parseTraceparent(carrier.traceparent);
  if (!sc) return ROOT_CONTEXT;
  const traceState = carrier?.tracestate ? createTraceState(carrier.tracestate) : undefined;
  return trace.setSpanContext(ROOT_CONTEXT, traceState ? { ...sc, traceState } : sc);
}

/**
 * The trace context a request submits its job in: the active span's when the application
 * instruments its HTTP server (that span is the request's child already), else the request's
 * own `traceparent` header.
 */
export function requestTrace(
  headers: Record<string, string | string[] | undefined>,
): TraceCarrier | undefined {
  return activeTrace() ?? traceFromHeaders(headers);
}
