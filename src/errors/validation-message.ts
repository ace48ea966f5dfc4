/** One error of a JSON Schema validation (Ajv's ErrorObject, as Fastify passes it on). */
export interface SchemaError {
  readonly keyword: string;
  readonly instancePath: string;
  readonly params: Record<string, unknown>;
  readonly message?: string | undefined;
}

/**
 * One sentence saying what is wrong and where, for a person: the unknown property by name,
 * the allowed values of a constant or a choice (`must be one of "fixed", "exponential"`), each
 * fact once — not Ajv's "must NOT have additional properties" or a "must be equal to
 * constant" per branch of a union.
 */
export function validationMessage(root: string, errors: readonly SchemaError[]): string {
  const where = (path: string): string =>
    root + path.replace(/~1/g, '/').replace(/~0/g, '~').split('/').join('.');
  const allowed = new Map<string, unknown[]>();
  const lines: string[] = [];
  for (const e of errors) {
    const at = where(e.instancePath);
    switch (e.keyword) {
      case 'const':
        allowed.set(at, [...(allowed.get(at) ?? []), e.params.allowedValue]);
        break;
      case 'enum':
        allowed.set(at, [
          ...(allowed.get(at) ?? []),
          ...((e.params.allowedValues as unknown[]) ?? []),
        ]);
        break;
      case 'anyOf':
      case 'oneOf':
        // Says only that a branch failed: the branches' own errors, above it, say how.
        if (!errors.some((o) => o !== e && o.instancePath === e.instancePath))
          lines.push(`${at} ${e.message ?? 'matches none of its forms'}`);
        break;
      case 'additionalProperties':
        lines.push(`${at} has an unknown property ${JSON.stringify(e.params.additionalProperty)}`);
        break;
      case 'required':
        lines.push(`${at} needs the property ${JSON.stringify(e.params.missingProperty)}`);
        break;
      default:
        lines.push(`${at} ${e.message ?? 'is invalid'}`);
    }
  }
  for (const [at, values] of allowed)
    lines.unshift(
      `${at} must be one of ${[...new Set(values)].map((v) => JSON.stringify(v)).join(', ')}`,
    );
  return [...new Set(lines)].join('; ') || `${root} is invalid`;
}

/**
 * The catalogue code of a failed validation: a job's priority, group or dedupe window has its
 * own (a client can tell which field to fix), anything else is a bad request.
 */
export function validationCode(
  errors: readonly SchemaError[],
):
  | 'WM_ERR_JOB_BAD_PRIORITY'
  | 'WM_ERR_JOB_BAD_GROUP'
  | 'WM_ERR_JOB_BAD_DEDUPE'
  | 'WM_ERR_API_BAD_REQUEST' {
  for (const e of errors) {
    const field = e.instancePath.split('/')[1];
    if (field === 'priority') return 'WM_ERR_JOB_BAD_PRIORITY';
    if (field === 'group') return 'WM_ERR_JOB_BAD_GROUP';
    if (field === 'dedupe') return 'WM_ERR_JOB_BAD_DEDUPE';
  }
  return 'WM_ERR_API_BAD_REQUEST';
}
