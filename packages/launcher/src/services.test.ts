import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BACKGROUND_NICE, backgroundNice, SERVICES, serviceUrl } from './services.js';

test('only the gateway is public, and every service has its own port', () => {
  assert.deepEqual(SERVICES.filter((s) => s.public).map((s) => s.name), ['gateway']);
  const ports = SERVICES.map((s) => s.defaultPort);
  assert.equal(new Set(ports).size, ports.length);
});

test('service URLs follow the environment', () => {
  const gateway = SERVICES.find((s) => s.name === 'gateway');
  assert.ok(gateway);
  assert.equal(serviceUrl(gateway, {}), 'http://127.0.0.1:7070');
  assert.equal(serviceUrl(gateway, { GATEWAY_HOST: '0.0.0.0', GATEWAY_PORT: '8080' }), 'http://localhost:8080');
});

test('the services nobody waits on run in the background; the gateway and auth do not', () => {
  assert.deepEqual(SERVICES.filter((s) => s.background).map((s) => s.name), ['workflow', 'events']);
});

test('the background priority follows STEADFAST_BACKGROUND_NICE, and a bad value is refused by name', () => {
  assert.equal(backgroundNice({}), BACKGROUND_NICE);
  assert.equal(backgroundNice({ STEADFAST_BACKGROUND_NICE: '0' }), 0);
  assert.equal(backgroundNice({ STEADFAST_BACKGROUND_NICE: '19' }), 19);
  for (const bad of ['-1', '20', '2.5', 'low']) {
    assert.throws(() => backgroundNice({ STEADFAST_BACKGROUND_NICE: bad }), /STEADFAST_BACKGROUND_NICE must be a whole number from 0 to 19/);
  }
});
