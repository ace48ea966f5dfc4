/** OpenTelemetry: the submitting request's trace context, carried to each attempt's span. */
export {
  traceFromHeaders,
  activeTrace,
  requestTrace,
  contextOf,
  type TraceCarrier,
} from './trace-carrier.js';
export { startAttemptSpan, endAttemptSpan, type AttemptOf } from './attempt-span.js';
