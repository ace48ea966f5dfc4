/**
 * An application's request that submits a job, traced: it starts a span, and sends its trace
 * context in the `traceparent` header (the W3C propagator writes it) with POST /api/work. The
 * worker's span of each attempt is a child of this span. Run with the SDK preloaded:
 *
 *   node --import tsx --import ./examples/tracing/otel.ts examples/tracing/submit.ts
 *
 * WORKMESH_URL is the API's address (default http://127.0.0.1:5983).
 */
import { context, propagation, trace } from '@opentelemetry/api';

const api = process.env.WORKMESH_URL ?? 'http://127.0.0.1:5983';
const tracer = trace.getTracer('checkout-app');

await tracer.startActiveSpan('POST /checkout', async (span) => {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  propagation.inject(context.active(), headers);
  const res = await fetch(`${api}/api/work`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ type: 'permute', data: 'traced' }),
  });
  const { callback } = (await res.json()) as { callback: string };
  console.log(`trace ${span.spanContext().traceId} job ${callback}`);
  span.end();
});
