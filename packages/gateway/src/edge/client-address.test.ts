import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressFrom, TrustedProxies } from './client-address.js';

const proxies = new TrustedProxies('10.0.0.0/8, 127.0.0.1, ::1');

test('without a trusted proxy the socket address is the client, whatever X-Forwarded-For says', () => {
  assert.equal(addressFrom('203.0.113.7', '1.2.3.4', proxies), '203.0.113.7');
  assert.equal(addressFrom('203.0.113.7', '1.2.3.4', new TrustedProxies('')), '203.0.113.7');
  assert.equal(addressFrom('::ffff:203.0.113.7', undefined, proxies), '203.0.113.7');
});

test('behind trusted proxies: the right-most address that is not one of them', () => {
  assert.equal(addressFrom('10.1.2.3', '198.51.100.9', proxies), '198.51.100.9');
  // The client wrote "1.2.3.4" itself; the proxy appended the real one.
  assert.equal(addressFrom('127.0.0.1', '1.2.3.4, 198.51.100.9, 10.0.0.5', proxies), '198.51.100.9');
  assert.equal(addressFrom('::1', '10.0.0.1', proxies), '::1', 'only proxies: the socket');
  assert.equal(addressFrom('10.1.2.3', 'garbage', proxies), '10.1.2.3');
});

test('a bad GATEWAY_TRUSTED_PROXIES entry is refused at start', () => {
  assert.throws(() => new TrustedProxies('10.0.0.0/33'), /bad prefix length/);
  assert.throws(() => new TrustedProxies('proxy.local'), /not an address or CIDR/);
});
