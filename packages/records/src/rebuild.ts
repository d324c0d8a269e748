/**
 * Rebuilds the search index from MongoDB, the source of truth, with no downtime: a fresh
 * concrete index gets every record's document (at the record's version, so a newer write that
 * lands meanwhile wins), the alias moves to it in one atomic step, a second pass copies what
 * changed during the first, and the old index is dropped. Searches answer from the old index
 * until the switch. When the alias is gone (the index was deleted), the same steps restore it.
 */
import type { Collections, ElasticsearchClient, Logger } from '@steadfast/commons';
import { toSearchDocument, type SearchIndex } from './search-index.js';

export interface RebuildReport {
  index: string;
  previous: string[];
  copied: number;
  caughtUp: number;
  ms: number;
}

const BATCH = 500;

/** Writes every record's document into `index` at its version; returns how many were new there. */
async function copyAll(es: ElasticsearchClient, db: Collections, index: string): Promise<number> {
  let written = 0;
  let batch: object[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const response = await es.bulk({ operations: batch, refresh: false });
    for (const item of response.items) {
      const result = item.index;
      if (!result) continue;
      if (result.status === 409) continue; // that version or a newer one is already there
      if (result.error) throw new Error(`bulk write to ${index} refused ${result._id}: ${result.error.type}`);
      written++;
    }
    batch = [];
  };
  for await (const record of db.records.find({}, { projection: { outbox: 0 } })) {
    batch.push({ index: { _index: index, _id: record._id, version: record.version, version_type: 'external' } }, toSearchDocument(record));
    if (batch.length >= BATCH * 2) await flush();
  }
  await flush();
  return written;
}

export async function rebuildSearchIndex(
  es: ElasticsearchClient,
  db: Collections,
  search: SearchIndex,
  logger: Logger,
  { keepOld = false } = {},
): Promise<RebuildReport> {
  const started = Date.now();
  const alias = search.alias;
  const aliased = await es.indices.getAlias({ name: alias }, { ignore: [404] });
  const previous = Object.keys(aliased).filter((name) => name !== 'error' && name !== 'status');
  const index = `${alias}-v${Date.now()}`;
  await search.createIndex(index);
  logger.info({ index, previous }, 'search rebuild: copying every record');
  const copied = await copyAll(es, db, index);
  await es.indices.updateAliases({
    actions: [
      ...previous.map((old) => ({ remove: { index: old, alias } })),
      { add: { index, alias, is_write_index: true } },
    ],
  });
  // Writes during the copy went to the old index: copy again what is newer than the new one has.
  const caughtUp = await copyAll(es, db, index);
  await es.indices.refresh({ index });
  if (!keepOld) for (const old of previous) await es.indices.delete({ index: old }, { ignore: [404] });
  const report = { index, previous, copied, caughtUp, ms: Date.now() - started };
  logger.info(report, 'search rebuild: alias switched');
  return report;
}
