import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenSet } from '../src/auth/index.js';
import { loadConfig } from '../src/config/index.js';
import { isWorkmeshError } from '../src/errors/index.js';

/** docs/security.md "Tokens, scopes and tenants": what a WORKMESH_API_TOKENS entry must be. */
const TOKEN = 'a'.repeat(24);

function tokensOf(env: string): TokenSet {
  return new TokenSet(loadConfig({ WORKMESH_API_TOKENS: env }).apiTokens);
}

function refused(env: string, why: RegExp): void {
  assert.throws(
    () => tokensOf(env),
    (e: unknown) => isWorkmeshError(e, 'WM_ERR_CONFIG_INVALID') && why.test(e.message),
    env,
  );
}

describe('API token format', () => {
  it('refuses malformed entries at start, naming the entry and what is wrong', () => {
    refused('acme', /entry 1 is not <tenant>:<scopes>:<token>/);
    refused(`acme:submit:${TOKEN},acme:submit`, /entry 2 is not <tenant>:<scopes>:<token>/);
    refused(`:submit:${TOKEN}`, /entry 1: tenant must match/);
    refused(`a b:submit:${TOKEN}`, /entry 1: tenant must match/);
    refused(`${'t'.repeat(65)}:submit:${TOKEN}`, /entry 1: tenant must match/);
    refused(`acme:write:${TOKEN}`, /entry 1: unknown scope "write"/);
    refused(`acme::${TOKEN}`, /entry 1: unknown scope ""/);
    refused(`acme:submit+:${TOKEN}`, /entry 1: unknown scope ""/);
    refused(`acme:SUBMIT:${TOKEN}`, /entry 1: unknown scope "SUBMIT"/);
  });

  it('a token is at least 24 characters', () => {
    refused(`acme:submit:${'a'.repeat(23)}`, /entry 1: the token must be at least 24 characters/);
    assert.ok(tokensOf(`acme:submit:${TOKEN}`).lookup(TOKEN));
  });

  it('the same token twice is refused, even under two tenants', () => {
    refused(`acme:submit:${TOKEN},other:read:${TOKEN}`, /entry 2: token used twice/);
  });

  it('a token may hold colons; spaces around entries and empty entries are ignored', () => {
    const colons = `${TOKEN}:with:colons`;
    const set = tokensOf(` acme:submit+read:${colons} ,, ops:admin:${'b'.repeat(30)} `);
    const principal = set.lookup(colons);
    assert.equal(principal?.tenant, 'acme');
    assert.deepEqual([...(principal?.scopes ?? [])].sort(), ['read', 'submit']);
    assert.equal(set.lookup(TOKEN), undefined, 'the token is all after the second colon');
    assert.equal(set.lookup('b'.repeat(30))?.tenant, 'ops');
    assert.equal(tokensOf(`${'t'.repeat(64)}:metrics:${TOKEN}`).lookup(TOKEN)?.tenant.length, 64);
  });
});
