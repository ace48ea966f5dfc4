/**
 * A sandboxed handler's thread (`sandbox: 'thread'`): loads its type's definition from the job
 * module, runs its setup, then runs one job at a time as the worker asks. The handler context
 * is the worker's, by message: progress, children() and previous() are answered by the
 * worker; log lines go to the worker's logger; the signal fires on the worker's abort (which
 * terminates this thread soon after, so a handler that ignores it cannot hold on).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { JobRegistry, type AnyJobDefinition, type JobContext } from '../jobs/index.js';
import {
  fromThreadError,
  toThreadError,
  type CallMethod,
  type FromThread,
  type ThreadSpec,
  type ToThread,
} from './sandbox-messages.js';

// In a worker thread: its parent port and workerData; in a child process (`sandbox:
// 'process'`): the IPC channel and the spec in the environment.
const port = parentPort;
const spec = (
  port ? workerData : JSON.parse(process.env.WORKMESH_SANDBOX_SPEC ?? '{}')
) as ThreadSpec;
const post = (msg: FromThread) => (port ? port.postMessage(msg) : process.send!(msg));
const onMessage = (fn: (msg: ToThread) => void) =>
  port ? port.on('message', fn) : process.on('message', fn);
const log = pino(
  { level: spec.level, base: null, timestamp: false },
  { write: (line: string) => post({ kind: 'log', line }) },
);

let seq = 0;
const calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
let controller: AbortController | undefined;

function call(method: CallMethod, arg?: unknown): Promise<unknown> {
  const n = ++seq;
  return new Promise((resolve, reject) => {
    calls.set(n, { resolve, reject });
    post({ kind: 'call', seq: n, method, ...(arg === undefined ? {} : { arg }) });
  });
}

async function load(): Promise<AnyJobDefinition> {
  const registry = new JobRegistry();
  await registry.load(spec.module, spec.settings);
  const definition = registry.get(spec.type);
  if (!definition) throw new Error(`${spec.module} no longer defines ${spec.type}`);
  await definition.setup?.({ concurrency: 1, log });
  return definition;
}

async function run(definition: AnyJobDefinition, msg: Extract<ToThread, { kind: 'run' }>) {
  controller = new AbortController();
  const ctx: JobContext = {
    id: msg.id,
    attempt: msg.attempt,
    deadline: msg.deadline,
    signal: controller.signal,
    log,
    progress: async (value) => void (await call('progress', value)),
    addLog: async (text) => void (await call('addLog', String(text))),
    children: () => call('children') as ReturnType<JobContext['children']>,
    previous: () => call('previous'),
  };
  try {
    const value: unknown = await definition.handler(msg.data, ctx);
    try {
      post({ kind: 'done', value });
    } catch (err) {
      // A value the structured clone cannot carry (a function): fails like a throw.
      post({ kind: 'failed', error: toThreadError(err) });
    }
  } catch (err) {
    post({ kind: 'failed', error: toThreadError(err) });
  } finally {
    controller = undefined;
  }
}

const loaded = load();
loaded.then(
  () => post({ kind: 'ready' }),
  (err: unknown) => post({ kind: 'load-failed', error: toThreadError(err) }),
);

onMessage((msg: ToThread) => {
  switch (msg.kind) {
    case 'run':
      void loaded.then((definition) => run(definition, msg));
      break;
    case 'reply': {
      const pending = calls.get(msg.seq);
      calls.delete(msg.seq);
      if (msg.error) pending?.reject(fromThreadError(msg.error));
      else pending?.resolve(msg.value);
      break;
    }
    case 'abort':
      controller?.abort(new Error(msg.message));
      break;
    case 'close':
      void loaded
        .then((definition) => definition.teardown?.())
        .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'teardown failed'))
        .finally(() => {
          post({ kind: 'closed' });
          if (port) port.close();
          else process.disconnect();
        });
      break;
  }
});
