import { catalogue, type ErrorCode } from './catalogue.js';

/** The one error type workmesh throws on purpose: a stable code plus its catalogue entry. */
export class WorkmeshError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WorkmeshError';
    this.code = code;
    this.status = catalogue[code].status;
    this.retryable = catalogue[code].retryable;
    this.details = options.details;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isWorkmeshError(err: unknown, code?: ErrorCode): err is WorkmeshError {
  return err instanceof WorkmeshError && (code === undefined || err.code === code);
}
