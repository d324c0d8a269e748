/**
 * `npm run search:rebuild [-- --keep-old]`: rebuilds the search index from MongoDB behind the
 * `records` alias with no downtime (see search/rebuild.ts). Reads the workflow's environment.
 */
import { collections, createLogger, openStores, storeConfigFrom } from '@steadfast/commons';
import { readEnvironment } from '../environment.js';
import { rebuildSearchIndex } from '@steadfast/records';
import { SearchIndex } from '@steadfast/records';

const logger = createLogger('search-rebuild');
const env = readEnvironment();
const stores = openStores(storeConfigFrom(env), logger, {});
try {
  const db = collections(stores.mongo.db(env.MONGO_DB));
  const report = await rebuildSearchIndex(stores.es, db, new SearchIndex(stores.es, env.ES_INDEX, env.ES_REFRESH_INTERVAL), logger, {
    keepOld: process.argv.includes('--keep-old'),
  });
  console.log(`rebuilt ${env.ES_INDEX} → ${report.index}: ${report.copied} documents, ${report.caughtUp} caught up, ${report.ms} ms`);
} catch (error) {
  logger.error({ err: (error as Error).message }, 'search rebuild failed; the alias still points where it did');
  process.exitCode = 1;
} finally {
  await stores.close();
}
