/**
 * `npm run reconcile [-- --dry-run] [--json] [--grace-minutes N] [--staging-hours N]`: compares
 * MongoDB, Elasticsearch and MinIO and reports drift; without --dry-run, repairs what can be
 * repaired from MongoDB (see reconcile/*.ts). Reads the same environment as the workflow.
 * Exit 0: no drift remains; 1: drift remains (always, in a dry run that found some); 2: error.
 */
import { collections, createElasticsearch, createLogger, createMinio, createMongo, RecordQueue, redisOptions, storeConfigFrom } from '@steadfast/commons';
import { z } from 'zod';
import { readEnvironment } from '../environment.js';
import { formatReport, reconcile } from '../reconcile/reconcile.js';
import { parseFlags } from './args.js';

const USAGE = `usage: npm run reconcile -- [--dry-run] [--json] [--grace-minutes N] [--staging-hours N] [--batch-size N]
  --dry-run          report only; change nothing
  --json             print the full report as JSON on stdout
  --grace-minutes N  changes and objects younger than this are work in flight, left alone (default 10)
  --staging-hours N  staged uploads older than this with no live job are drift (default 24)
  --batch-size N     records per batch (default 500)
exit status: 0 no drift remains, 1 drift remains, 2 the run failed`;

const flags = parseFlags(
  process.argv.slice(2),
  {
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
    'grace-minutes': { type: 'string' },
    'staging-hours': { type: 'string' },
    'batch-size': { type: 'string' },
  },
  z.object({
    'dry-run': z.boolean().default(false),
    json: z.boolean().default(false),
    'grace-minutes': z.coerce.number().min(0).default(10),
    'staging-hours': z.coerce.number().min(0).default(24),
    'batch-size': z.coerce.number().int().min(1).max(10_000).default(500),
  }),
  USAGE,
);

const logger = createLogger('reconcile', { destination: process.stderr });
const env = readEnvironment();
const stores = storeConfigFrom(env);
const mongo = createMongo(stores.mongo);
const es = createElasticsearch(stores.elasticsearch);
const minio = createMinio(stores.minio);
const queue = new RecordQueue(redisOptions(stores.redis), undefined, env.RECORD_QUEUE_NAME);
try {
  const report = await reconcile(
    {
      es,
      alias: stores.elasticsearch.index,
      refreshInterval: stores.elasticsearch.refreshInterval,
      db: collections(mongo.db(stores.mongo.dbName)),
      minio,
      buckets: { attachments: stores.minio.bucket, staging: stores.minio.stagingBucket },
      jobState: async (draftId) => {
        const job = await queue.getJob(draftId);
        return job ? job.getState() : undefined;
      },
      logger,
    },
    {
      repair: !flags['dry-run'],
      graceMs: flags['grace-minutes'] * 60_000,
      stagingMaxAgeMs: flags['staging-hours'] * 3_600_000,
      batchSize: flags['batch-size'],
    },
  );
  process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
  process.exitCode = report.remaining === 0 ? 0 : 1;
} catch (error) {
  logger.error({ err: error }, 'reconciliation failed');
  process.exitCode = 2;
} finally {
  await Promise.allSettled([mongo.close(), es.close(), queue.close()]);
}
