import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expectedOriginOf, sameOriginProof } from './same-origin.js';

const expectedOrigin = 'http://localhost:7070';
const verdict = (method: string, headers: Record<string, string>) => sameOriginProof({ method, headers, expectedOrigin });

test('reads are always allowed', () => {
  for (const method of ['GET', 'head', 'OPTIONS']) assert.deepEqual(verdict(method, { 'sec-fetch-site': 'cross-site' }), { allowed: true });
});

test("a write from the console's own page passes", () => {
  assert.equal(verdict('POST', { 'sec-fetch-site': 'same-origin', origin: expectedOrigin }).allowed, true);
  assert.equal(verdict('PUT', { origin: 'HTTP://LOCALHOST:7070' }).allowed, true, 'no Sec-Fetch-Site (older browser): Origin decides');
});

test('a cross-site or same-site write is refused, whatever its Origin says', () => {
  for (const site of ['cross-site', 'same-site', 'none']) {
    const refused = verdict('POST', { 'sec-fetch-site': site, origin: expectedOrigin });
    assert.equal(refused.allowed, false, site);
  }
});

test('without Sec-Fetch-Site, a missing, null or foreign Origin is refused', () => {
  assert.equal(verdict('POST', {}).allowed, false);
  assert.equal(verdict('POST', { origin: 'null' }).allowed, false);
  assert.equal(verdict('PATCH', { origin: 'http://localhost:7071' }).allowed, false, 'another port is another origin');
  assert.equal(verdict('DELETE', { origin: 'http://evil.example' }).allowed, false);
});

test('a script with an Authorization header needs no browser proof', () => {
  assert.equal(verdict('PUT', { authorization: 'Bearer x' }).allowed, true);
});

test('the expected origin is the configured public one, else the request its own', () => {
  assert.equal(expectedOriginOf('https://admin.example.org/some/path', 'http', 'gateway:7070'), 'https://admin.example.org');
  assert.equal(expectedOriginOf(undefined, 'http', 'localhost:7070'), 'http://localhost:7070');
});
