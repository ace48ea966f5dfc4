import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** One server-sent event of a job's stream (GET /api/events/<id>). */
export interface JobEventMessage {
  readonly n: number;
  readonly status: string;
  readonly at: number;
  readonly callback: string;
  readonly progress?: unknown;
  readonly value?: unknown;
  readonly error?: string;
  readonly [extra: string]: unknown;
}

export type { EventSourceMessage };

/**
 * The events of a text/event-stream body, in order, parsed by eventsource-parser (the spec's
 * framing: CR, LF or CRLF line ends, one leading space of a value stripped, multi-line data,
 * comments). `onRetry` gets the server's `retry:` field. Read with getReader(), which every
 * runtime has (async iteration of a ReadableStream is missing in some browsers).
 */
export async function* readEventStream(
  body: ReadableStream<Uint8Array>,
  onRetry?: (ms: number) => void,
  /** Called on every chunk read, keep-alive comments included. */
  onChunk?: () => void,
): AsyncGenerator<EventSourceMessage> {
  const ready: EventSourceMessage[] = [];
  const parser = createParser({
    onEvent: (event) => ready.push(event),
    ...(onRetry ? { onRetry } : {}),
  });
  const decoder = new TextDecoder();
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      onChunk?.();
      parser.feed(decoder.decode(value, { stream: true }));
      while (ready.length > 0) yield ready.shift()!;
    }
  } finally {
    // Whoever stops reading early (a final event, an abort) closes the connection.
    await reader.cancel().catch(() => undefined);
  }
}
