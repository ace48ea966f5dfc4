import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  trace,
  type Span,
} from '@opentelemetry/api';
import { VERSION } from '../cluster/index.js';
import { contextOf, type TraceCarrier } from './trace-carrier.js';

/** The tracer's name and version: the instrumentation scope of every workmesh span. */
const tracer = trace.getTracer('workmesh', VERSION);

/** What an attempt's span names and is parented by. */
export interface AttemptOf {
  readonly id: string;
  readonly type: string;
  readonly attempt: number;
  readonly queue: string;
  /** The stored context of the submitting request (the job's opts). */
  readonly trace?: Partial<TraceCarrier> | undefined;
}

/**
 * One attempt's span (kind CONSUMER), child of the submitting request's context: `fn` runs in
 * it, so the handler's own spans are its children. Without an SDK, the API's no-op tracer
 * answers a non-recording span: no attributes are built for it, and a job without a stored
 * context runs outside any (the plain path pays one call and one object).
 */
export function startAttemptSpan<T>(job: AttemptOf, fn: () => T): { span: Span; result: T } {
  const parent = contextOf(job.trace);
  const span = tracer.startSpan(`${job.type} process`, { kind: SpanKind.CONSUMER }, parent);
  if (span.isRecording()) {
    span.setAttributes({
      'messaging.system': 'workmesh',
      'messaging.operation.type': 'process',
      'messaging.destination.name': job.queue,
      'messaging.message.id': job.id,
      'workmesh.job.id': job.id,
      'workmesh.job.type': job.type,
      'workmesh.job.attempt': job.attempt,
    });
  } else if (parent === ROOT_CONTEXT) {
    return { span, result: fn() };
  }
  const result = context.with(trace.setSpan(parent, span), fn);
  return { span, result };
}

/** Ends an attempt's span: status ERROR with the message when it failed. */
export function endAttemptSpan(span: Span, failure: { message: string } | undefined): void {
  if (!span.isRecording()) return;
  // An exporter's or processor's throw (a misconfigured SDK) must not fail the worker's job.
  try {
    if (failure !== undefined) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
      span.recordException({ name: 'Error', message: failure.message });
    }
    span.end();
  } catch {
    // The span is lost; the job is not.
  }
}
