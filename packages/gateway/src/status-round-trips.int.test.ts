/**
 * A status read and its rate count against the real Redis and MongoDB, on one connection as the
 * gateway has it (auto-pipelined, the record queue sharing it), under this test's own queue,
 * database and rate-limit keys: the count and the job's read go out in one write, and a refused
 * read reads nothing else.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import {
  collections,
  COMMAND_CONNECTION,
  createLogger,
  createMongo,
  createRedis,
  readEnv,
  RecordQueue,
  redisKey,
  storeConfigFrom,
  storeEnvSchema,
  type Collections,
  type Redis,
} from '@steadfast/commons';
import { UserRateLimits } from './edge/user-limits.js';
import { StatusReader } from './status.js';

const id = randomBytes(4).toString('hex');
const config = storeConfigFrom(readEnv(storeEnvSchema, { ...process.env, MONGO_DB: `gw_rt_${id}` }));
const logger = createLogger('gateway', { level: 'silent' });
const viewer = { userId: `user-${id}`, scopes: ['declare'] };

let redis: Redis;
let mongo: ReturnType<typeof createMongo>;
let queue: RecordQueue;
let limits: UserRateLimits;
let mongoCalls = 0;
let reader: StatusReader;

/** The collections, counting every method called on any of them. */
function counted(db: Collections): Collections {
  const wrap = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(object, key, receiver) {
        const value: unknown = Reflect.get(object, key, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          mongoCalls++;
          return (value as (...a: unknown[]) => unknown).apply(object, args);
        };
      },
    });
  return Object.fromEntries(Object.entries(db).map(([name, collection]) => [name, wrap(collection as object)])) as unknown as Collections;
}

/** Socket writes of the connection while `run` runs. */
async function writesDuring<T>(run: () => Promise<T>): Promise<{ writes: number; outcome: PromiseSettledResult<T> }> {
  const stream = redis.stream;
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  let writes = 0;
  stream.write = ((...args: unknown[]) => {
    writes++;
    return write(...args);
  });
  try {
    const [outcome] = await Promise.allSettled([run()]);
    return { writes, outcome: outcome as PromiseSettledResult<T> };
  } finally {
    stream.write = write;
  }
}

before(async () => {
  redis = createRedis(config.redis, { ...COMMAND_CONNECTION });
  mongo = createMongo(config.mongo);
  await mongo.connect();
  queue = new RecordQueue(redis, undefined, `gw-rt-${id}`);
  await queue.queue.waitUntilReady();
  reader = new StatusReader(counted(collections(mongo.db(config.mongo.dbName))), queue, logger);
  limits = new UserRateLimits(redis, { submissions: 10, statusReads: 2, windowSeconds: 60 }, logger, redisKey('rate-rt', id));
  // Loads the limiter's script (its first call is a NOSCRIPT and an EVAL) and the queue's.
  await limits.consume('statusReads', `warm-${id}`);
  await queue.getJob(randomUUID());
});

after(async () => {
  await queue.queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  await mongo.db(config.mongo.dbName).dropDatabase();
  await mongo.close();
  redis.disconnect();
});

test('a status read goes to Redis in the same write as its rate count; a refused read reads nothing else and says RATE_LIMITED', async () => {
  const draftId = randomUUID();
  const read = () => reader.status(draftId, viewer, limits.consume('statusReads', viewer.userId));

  const first = await writesDuring(read);
  assert.equal(first.outcome.status, 'fulfilled');
  assert.equal(first.outcome.status === 'fulfilled' && first.outcome.value.__typename, 'RecordUnknown');
  assert.equal(first.writes, 1, 'the count and the job read in one write');
  assert.ok(mongoCalls > 0, 'no job: the decided drafts are read from MongoDB');

  await read(); // the second and last read of the window
  const before = mongoCalls;
  const refused = await writesDuring(read);
  assert.equal(refused.outcome.status, 'rejected');
  const error = refused.outcome.status === 'rejected' ? (refused.outcome.reason as { extensions?: { code?: string } }) : undefined;
  assert.equal(error?.extensions?.code, 'RATE_LIMITED');
  assert.equal(mongoCalls, before, 'a refused read does not reach MongoDB');
  assert.equal(refused.writes, 1, 'the count and the job read, nothing after');
});
