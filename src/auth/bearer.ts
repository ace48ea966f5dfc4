import { WorkmeshError } from '../errors/index.js';
import { allows, type Principal, type Scope, type TokenSet } from './tokens.js';

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  return /^Bearer[ ]+([^\s]+)\s*$/i.exec(header)?.[1];
}

/**
 * The principal of a request's bearer token when it may use a route of `scope`; otherwise
 * throws the answer: 401 WM_ERR_AUTH_REQUIRED or WM_ERR_AUTH_INVALID, 403 WM_ERR_AUTH_FORBIDDEN.
 */
export function authorize(
  tokens: TokenSet,
  authorization: string | undefined,
  scope: Scope,
): Principal {
  const token = bearerToken(authorization);
  if (token === undefined) {
    throw new WorkmeshError(
      'WM_ERR_AUTH_REQUIRED',
      'this route needs a token: Authorization: Bearer <token>',
    );
  }
  const principal = tokens.lookup(token);
  if (!principal) throw new WorkmeshError('WM_ERR_AUTH_INVALID', 'unknown token');
  if (!allows(principal, scope)) {
    throw new WorkmeshError('WM_ERR_AUTH_FORBIDDEN', `this route needs the ${scope} scope`);
  }
  return principal;
}
