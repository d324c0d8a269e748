import assert from 'node:assert/strict';
import { test } from 'node:test';
import { instanceEnv, instanceName, parseInstanceName, parseScale, scaleFrom } from './scale.js';
import { SERVICES } from './services.js';

const spec = (name: string) => {
  const found = SERVICES.find((s) => s.name === name);
  assert.ok(found);
  return found;
};

test('--scale and STEADFAST_SCALE: the command line wins, each service named and counted', () => {
  assert.deepEqual(scaleFrom(['--scale', 'workflow=3', '--scale=events=2,gateway=2'], { STEADFAST_SCALE: 'workflow=2,auth=2' }), {
    workflow: 3,
    auth: 2,
    events: 2,
    gateway: 2,
  });
  assert.deepEqual(scaleFrom([], {}), {});
});

test('a bad scale names what is wrong', () => {
  assert.throws(() => parseScale('worker=2'), /unknown service "worker"; known: auth, config, workflow, events, gateway/);
  assert.throws(() => parseScale('workflow=0'), /workflow must have 1 to 32 instances, not 0/);
  assert.throws(() => parseScale('workflow'), /"workflow" is not <service>=<count>/);
  assert.throws(() => scaleFrom(['--scale'], {}), /--scale needs/);
  assert.throws(() => scaleFrom(['--verbose'], {}), /unknown argument "--verbose"/);
});

test('instance 1 keeps its ports; instance N is shifted by the step on every port it has', () => {
  assert.deepEqual(instanceEnv(spec('workflow'), 1, {}), { STEADFAST_INSTANCE: 'workflow', WORKFLOW_PORT: '7072' });
  assert.deepEqual(instanceEnv(spec('workflow'), 3, {}), { STEADFAST_INSTANCE: 'workflow-3', WORKFLOW_PORT: '7092' });
  assert.deepEqual(instanceEnv(spec('gateway'), 2, { GATEWAY_PORT: '46070', GATEWAY_METRICS_PORT: '46074', STEADFAST_INSTANCE_PORT_STEP: '100' }), {
    STEADFAST_INSTANCE: 'gateway-2',
    GATEWAY_PORT: '46170',
    GATEWAY_METRICS_PORT: '46174',
  });
  assert.throws(() => instanceEnv(spec('workflow'), 2, { STEADFAST_INSTANCE_PORT_STEP: '3' }), /STEADFAST_INSTANCE_PORT_STEP must be/);
});

test('no two instances of five services at scale 4 share a port', () => {
  const ports = SERVICES.flatMap((s) => [1, 2, 3, 4].flatMap((i) => Object.entries(instanceEnv(s, i, {})).filter(([k]) => k.endsWith('PORT')).map(([, p]) => p)));
  assert.equal(new Set(ports).size, ports.length);
});

test('instance names round-trip', () => {
  assert.equal(instanceName(spec('events'), 1), 'events');
  assert.equal(instanceName(spec('events'), 2), 'events-2');
  assert.deepEqual(parseInstanceName('events-2'), { spec: spec('events'), instance: 2 });
  assert.deepEqual(parseInstanceName('gateway'), { spec: spec('gateway'), instance: 1 });
  assert.throws(() => parseInstanceName('nope-2'), /unknown service nope-2/);
});
