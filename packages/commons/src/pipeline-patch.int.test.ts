/**
 * ioredis as patched by patches/ioredis+5.11.1.patch (applied at `npm ci` by patch-package): a
 * pipeline reaches its client's scripts through a prototype shared by the client's pipelines
 * instead of a copy of every script's two methods. BullMQ defines 64 scripts on its connection and
 * auto-pipelining makes a pipeline per batch of commands: the copy was ~50 us of the gateway's CPU
 * each time (7% of it in a profile at 50 records/s). Against the real Redis, auto-pipelined as the
 * services' command connections are.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { storeConfigFrom, storeEnvSchema } from './config.js';
import { redisKey } from './redis-connection.js';
import { COMMAND_CONNECTION } from './store-clients.js';
import { createRedis } from './stores.js';

type Scripted = ReturnType<typeof createRedis> & Record<string, (key: string) => Promise<unknown>>;
/** A pipeline's script methods, which ioredis' types do not know. */
type ScriptedPipeline = { [name: string]: (key: string) => ScriptedPipeline } & { exec(): Promise<Array<[Error | null, unknown]> | null> };
const pipelineOf = (client: Scripted) => client.pipeline() as unknown as ScriptedPipeline;

const redis = createRedis(storeConfigFrom(storeEnvSchema.parse(process.env)).redis, COMMAND_CONNECTION) as Scripted;
const key = redisKey('pipeline-patch-test', randomBytes(4).toString('hex'));
const SCRIPTS = 64;

for (let i = 0; i < SCRIPTS; i++) {
  redis.defineCommand(`steadfastPatchTest${i}`, { numberOfKeys: 1, lua: `return redis.call('INCRBY', KEYS[1], ${i + 1})` });
}

after(async () => {
  await redis.del(key);
  redis.disconnect();
});

test("a pipeline does not copy its client's scripts: its own properties stay few however many are defined", () => {
  const pipeline = redis.pipeline() as unknown as Record<string, unknown>;
  // Unpatched, each script put two own properties on every pipeline: 128 here, and V8 then keeps
  // the object as a dictionary.
  assert.ok(Object.keys(pipeline).length < 20, `${Object.keys(pipeline).length} own properties`);
  assert.equal(typeof pipeline['steadfastPatchTest63'], 'function', 'the script is reachable');
  assert.equal(typeof pipeline['steadfastPatchTest63Buffer'], 'function');
  assert.equal(typeof pipeline['exec'], 'function', "the pipeline's own methods are still there");
  assert.equal(Object.getPrototypeOf(redis.pipeline()), Object.getPrototypeOf(pipeline), "one prototype for the client's pipelines");
});

test('scripts run in explicit and automatic pipelines, concurrently, each with its own reply', async () => {
  const explicit = await pipelineOf(redis)['steadfastPatchTest0']!(key)['steadfastPatchTest9']!(key).exec();
  assert.deepEqual(explicit?.map(([error, value]) => [error, value]), [[null, 1], [null, 11]]);
  // Auto-pipelined: the calls of one turn of the event loop go out in one pipeline.
  const replies = await Promise.all(Array.from({ length: SCRIPTS }, (_, i) => redis[`steadfastPatchTest${i}`]!(key)));
  assert.equal(new Set(replies).size, SCRIPTS, 'every call answered by its own reply');
  assert.equal(Number(await redis.get(key)), 11 + (SCRIPTS * (SCRIPTS + 1)) / 2);
});

test('a script defined after pipelines were made reaches the pipelines made after it', async () => {
  const before = redis.pipeline() as unknown as Record<string, unknown>;
  redis.defineCommand('steadfastPatchTestLate', { numberOfKeys: 1, lua: "return redis.call('GET', KEYS[1])" });
  assert.equal(before['steadfastPatchTestLate'], undefined, 'a pipeline made before is unchanged');
  assert.equal(typeof (redis.pipeline() as unknown as Record<string, unknown>)['steadfastPatchTestLate'], 'function', 'one made after has it');
  assert.equal(await redis['steadfastPatchTestLate']!(key), await redis.get(key), 'auto-pipelined');
  const [[error, value]] = (await pipelineOf(redis)['steadfastPatchTestLate']!(key).exec()) as [[Error | null, unknown]];
  assert.equal(error, null);
  assert.equal(value, await redis.get(key));
});
