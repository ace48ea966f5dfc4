/**
 * OpenTelemetry for a workmesh process, preloaded before it starts:
 *
 *   node --import tsx --import ./examples/tracing/otel.ts src/cli/main.ts worker
 *
 * workmesh itself depends on @opentelemetry/api only: without an SDK like this one its spans
 * cost next to nothing and go nowhere. Here every finished span is printed (ConsoleSpanExporter);
 * in production, put an OTLP exporter and a BatchSpanProcessor in its place.
 */
import { ConsoleSpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

const provider = new NodeTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())],
});
// Registers the provider, the W3C Trace Context propagator and an AsyncLocalStorage context
// manager: a handler's own spans become children of its attempt's span.
provider.register();

process.once('beforeExit', () => void provider.shutdown());
