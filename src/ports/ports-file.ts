import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { WorkmeshError } from '../errors/index.js';
import type { AnyJobDefinition } from '../jobs/index.js';
import { definePort, type PortSpec } from './define-port.js';

const positive = Type.Integer({ minimum: 1 });

/** One entry of a ports file (WORKMESH_PORTS), keyed by job type. docs/ports.md shows it. */
const PortEntry = Type.Object(
  {
    command: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    description: Type.Optional(Type.String()),
    cwd: Type.Optional(Type.String()),
    input: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    example: Type.Optional(Type.Unknown()),
    env: Type.Optional(Type.Record(Type.String(), Type.String())),
    passEnv: Type.Optional(Type.Array(Type.String())),
    concurrency: Type.Optional(positive),
    resultTtlSec: Type.Optional(positive),
    maxAttempts: Type.Optional(positive),
    timeoutMs: Type.Optional(positive),
    startTimeoutMs: Type.Optional(positive),
    maxReplyBytes: Type.Optional(Type.Integer({ minimum: 1024 })),
    backoff: Type.Optional(
      Type.Object(
        {
          type: Type.Union([Type.Literal('exponential'), Type.Literal('fixed')]),
          delayMs: Type.Integer({ minimum: 0 }),
          maxDelayMs: Type.Optional(Type.Integer({ minimum: 0 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const PortsFile = Type.Object(
  { ports: Type.Record(Type.String(), PortEntry) },
  { additionalProperties: false },
);

const validate = new Ajv({ strict: false, allErrors: false }).compile<Static<typeof PortsFile>>(
  PortsFile,
);

function invalid(path: string, why: string): WorkmeshError {
  return new WorkmeshError('WM_ERR_PORT_CONFIG_INVALID', `${path}: ${why}`);
}

/**
 * Reads a ports file: `{"ports": {"<type>": {"command": [...], ...}}}`. Relative `cwd` (and the
 * default cwd) is the file's own folder, so a file and its programs move together.
 */
export function readPortsFile(path: string): PortSpec[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw invalid(path, `cannot read it as JSON (${(err as Error).message})`);
  }
  if (!validate(parsed)) {
    const first = validate.errors?.[0];
    throw invalid(path, `${first?.instancePath || '/'} ${first?.message ?? 'is invalid'}`);
  }
  const base = dirname(resolve(path));
  return Object.entries(parsed.ports).map(([name, { input, ...entry }]) => ({
    ...entry,
    // A plain JSON Schema: Ajv reads it as it reads a TypeBox one.
    ...(input === undefined ? {} : { input: input as unknown as TSchema }),
    name,
    description: entry.description ?? `Port: ${entry.command.join(' ')}`,
    cwd:
      entry.cwd === undefined ? base : isAbsolute(entry.cwd) ? entry.cwd : resolve(base, entry.cwd),
  }));
}

/** The job definitions of the configured ports files. */
export function loadPorts(paths: readonly string[]): AnyJobDefinition[] {
  return paths.flatMap((path) => readPortsFile(path).map((spec) => definePort(spec)));
}
