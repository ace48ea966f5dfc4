export {
  TokenSet,
  allows,
  SCOPES,
  MIN_TOKEN_LENGTH,
  type Scope,
  type Principal,
} from './tokens.js';
export { tenantJobId, ownedBy } from './tenancy.js';
export { isLoopback } from './loopback.js';
export { refuseInsecure, refuseWithoutSecret } from './exposure.js';
export { authorize, bearerToken } from './bearer.js';
