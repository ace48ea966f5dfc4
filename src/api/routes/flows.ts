import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { WorkmeshError } from '../../errors/index.js';
import {
  cancelFlow,
  flowNodeIds,
  readFlow,
  submitFlow,
  type FlowNodeInput,
  type FlowNodeView,
} from '../../flow/index.js';
import { withRedis } from '../../http/index.js';
import { isFinalStatus } from '../../job-schema/index.js';
import { Submitter } from '../../submit/index.js';
import { countAccepted, type ApiContext } from '../context.js';
import { openEventStream } from '../event-stream-reply.js';
import { checkedId } from '../job-id.js';
import { ErrorBody, IdParams } from '../schemas.js';
import { tenantOf } from '../security.js';
import { requestTrace } from '../../tracing/index.js';

// Nodes are checked by src/flow/ (every problem with its node's path and a catalogue code),
// not by the route schema: a recursive schema would answer a generic 400 for a bad node.
const FlowBody = Type.Object(
  {
    flow: Type.Optional(
      Type.Unknown({
        description:
          'The root node: `{type, data, onFail?, children?: [node, ...], resultTtlSec?, maxAttempts?, backoff?, timeoutMs?, callbackUrl?}` (docs/workflows.md)',
      }),
    ),
    chain: Type.Optional(
      Type.Array(Type.Unknown(), {
        description: 'Steps run one after another, each reading the value before (ctx.previous())',
      }),
    ),
  },
  { additionalProperties: false },
);

const FlowAccepted = Type.Object({
  flow: Type.String({ description: "The flow's id: its root's callback id" }),
  nodes: Type.Integer(),
  ids: Type.Array(Type.String(), { description: 'Every node, root first, then breadth first' }),
  statusUrl: Type.String(),
});

// The tree, each node of this shape. Its children are described, not referenced: a recursive
// schema's $ref does not resolve in the OpenAPI document that standard tools read.
const FlowNode = Type.Object({
  id: Type.String(),
  type: Type.String(),
  status: Type.String(),
  value: Type.Optional(Type.Unknown()),
  error: Type.Optional(Type.String()),
  waitingFor: Type.Optional(Type.Integer()),
  onFail: Type.Optional(Type.String()),
  children: Type.Array(Type.Unknown({ description: 'Child nodes, each of this same shape' })),
});

const FlowCancelledBody = Type.Object({ flow: Type.String(), cancelled: Type.Integer() });

function notFound(id: string): WorkmeshError {
  return new WorkmeshError(
    'WM_ERR_FLOW_NOT_FOUND',
    `no flow ${id}: unknown, expired, or not the root of a flow`,
  );
}

/** POST /api/flows, GET /api/flows/<id>, GET /api/flows/<id>/events, DELETE /api/flows/<id>. */
export function flowRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const submitter = new Submitter(ctx);
  const guard = <T>(fn: () => Promise<T>) => withRedis(ctx.redis, ctx.redisTimeoutMs, fn);

  app.post<{ Body: Static<typeof FlowBody> }>(
    '/api/flows',
    {
      schema: {
        summary: 'Submit a flow or a chain',
        description:
          'A tree of jobs (`flow`): each parent runs once its children are final and reads their values; or a `chain` of steps. Accepted whole or not at all: a bad node, a tree deeper than 12 levels or larger than 5,000 nodes answers 400 and stores nothing.',
        body: FlowBody,
        response: { 202: FlowAccepted, '4xx': ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => {
      const { flow, chain } = request.body;
      if ((flow === undefined) === (chain === undefined)) {
        throw new WorkmeshError('WM_ERR_FLOW_INVALID', 'body: give one of `flow` or `chain`');
      }
      const input =
        chain !== undefined ? { chain: chain as FlowNodeInput[] } : { flow: flow as FlowNodeInput };
      const submitted = await guard(() =>
        submitFlow(
          ctx.redis,
          ctx.keys,
          ctx.nodeId,
          submitter,
          input,
          tenantOf(request),
          requestTrace(request.raw.headers),
        ),
      );
      countAccepted(ctx, submitted.ids);
      return reply.status(202).send({
        flow: submitted.id,
        nodes: submitted.nodes,
        ids: submitted.ids,
        statusUrl: `/api/flows/${submitted.id}`,
      });
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/flows/:id',
    {
      schema: {
        summary: "A flow's tree",
        description:
          "The tree from its root: each node's id, type, status, value or error, and how many children it still waits for.",
        params: IdParams,
        response: { 200: FlowNode, '4xx': ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const { id } = checkedId(request.params.id);
      const tree = await guard(() => readFlow(ctx.redis, ctx.keys, id));
      if (!tree) throw notFound(id);
      return tree;
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/flows/:id/events',
    {
      schema: {
        summary: "A flow's tree, live (server-sent events)",
        description:
          'text/event-stream: a `tree` event with the whole tree (as GET /api/flows/<id>) at once and whenever a node changes; closed once the root is final.',
        params: IdParams,
        response: {
          200: {
            description: "The flow's events, closed once the root is final",
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          '4xx': ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const { id } = checkedId(request.params.id);
      const read = () => guard(() => readFlow(ctx.redis, ctx.keys, id));
      const first = await read();
      if (!first) throw notFound(id);
      const ids = await guard(() => flowNodeIds(ctx.redis, ctx.keys, id));
      const raw = openEventStream(reply);
      let ended = false;
      let sent = '';
      let n = 0;
      let reading = false;
      let again = false;
      const unwatch = ids.map((nodeId) => ctx.watcher?.watch(nodeId, () => void flush()));
      // Without a watcher (or for a missed event), the tree is read again every second.
      const poll = setInterval(() => void flush(), 1000);
      const end = (): void => {
        if (ended) return;
        ended = true;
        for (const u of unwatch) u?.();
        clearInterval(poll);
        raw.end();
      };
      const send = (tree: FlowNodeView): void => {
        const json = JSON.stringify(tree);
        if (json === sent) return;
        sent = json;
        raw.write(`id: ${++n}\nevent: tree\ndata: ${json}\n\n`);
      };
      const flush = async (): Promise<void> => {
        if (reading) {
          again = true;
          return;
        }
        reading = true;
        try {
          do {
            again = false;
            const tree = await read().catch(() => undefined);
            if (ended || !tree) return;
            send(tree);
            if (isFinalStatus(tree.status)) end();
          } while (again && !ended);
        } finally {
          reading = false;
        }
      };
      request.raw.once('close', end);
      send(first);
      if (isFinalStatus(first.status)) end();
    },
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/api/flows/:id',
    {
      schema: {
        summary: 'Cancel a flow',
        description:
          'Cancels every node of the flow that is not final yet (running ones are aborted on their worker); answers how many.',
        params: IdParams,
        response: { 200: FlowCancelledBody, '4xx': ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const { id } = checkedId(request.params.id);
      if (!(await guard(() => readFlow(ctx.redis, ctx.keys, id)))) throw notFound(id);
      const result = await guard(() => cancelFlow(ctx.redis, ctx.keys, id));
      for (const { id: nodeId, workedBy } of result.running) {
        await ctx.notify?.(workedBy, { type: 'cancel', id: nodeId }).catch(() => false);
      }
      return { flow: id, cancelled: result.cancelled };
    },
  );
}
