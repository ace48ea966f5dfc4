// The page's script: the typed client in a browser, bundled with esbuild (README.md here).
// In your project: import { WorkmeshClient } from 'workmesh/client';
import { WorkmeshClient } from '../../src/client/index.js';
// Types only: the bundle holds the client, never the job definitions or their handlers.
import type jobs from './jobs.js';

const params = new URLSearchParams(location.search);
const client = new WorkmeshClient<typeof jobs>({
  baseUrl: params.get('api') ?? 'http://127.0.0.1:5983',
  timeoutMs: 10_000,
});

const form = document.querySelector<HTMLFormElement>('#job')!;
const title = document.querySelector<HTMLInputElement>('#title')!;
const events = document.querySelector<HTMLOListElement>('#events')!;
const output = document.querySelector<HTMLOutputElement>('#value')!;

async function run(): Promise<void> {
  events.replaceChildren();
  output.value = '';
  // 'slugify' and { title } are checked against the job's definition at compile time.
  const job = await client.submit('slugify', { title: title.value });
  for await (const event of client.events(job.callback)) {
    const item = document.createElement('li');
    item.textContent = event.status;
    events.append(item);
  }
  const state = await client.wait(job.callback, { timeoutMs: 30_000 });
  // state.value is { slug: string; words: number } | undefined: inferred from the handler.
  output.value = state.value
    ? `${state.value.slug} (${state.value.words} words)`
    : `${state.status}: ${state.error ?? ''}`;
  output.dataset.status = state.status;
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  run().catch((err: unknown) => {
    output.value = `error: ${(err as Error).message}`;
    output.dataset.status = 'error';
  });
});
