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

/** Parses a text/event-stream body into its `data` payloads (JSON), in order. */
export async function* readEventStream(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<JobEventMessage> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      if (data !== '') yield JSON.parse(data) as JobEventMessage;
    }
  }
}
