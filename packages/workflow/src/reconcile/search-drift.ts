/**
 * Search documents against MongoDB: missing (a record without a document), stale (a lower or
 * higher version, or content that differs from `toSearchDocument(record)`) and orphaned (a
 * document without a record). Repairs write from MongoDB with external versions, so a concurrent
 * newer write by the workflow always wins; deletes are conditional on the document being
 * unchanged since it was read (`if_seq_no`).
 */
import { isDeepStrictEqual } from 'node:util';
import type { ElasticsearchClient, RecordDocument } from '@steadfast/commons';
import { rebuildSearchIndex } from '@steadfast/records';
import { isErrorType, SearchIndex, toSearchDocument, type SearchDocument } from '@steadfast/records';
import { attempt, type CheckResult, type Drift, type ReconcileDeps, type ReconcileOptions } from './drift.js';

/** The concrete indices holding the alias now (none when the alias is missing). */
async function aliasHolders(es: ElasticsearchClient, alias: string): Promise<string[]> {
  if (!(await es.indices.existsAlias({ name: alias }))) return [];
  return Object.keys(await es.indices.getAlias({ name: alias }));
}

interface Found {
  source: SearchDocument;
  version: number;
  seqNo: number;
  primaryTerm: number;
}

/** JSON as Elasticsearch stores it: no undefined fields. */
const plain = (doc: SearchDocument): unknown => JSON.parse(JSON.stringify(doc)) as unknown;

async function fetchDocs(deps: ReconcileDeps, ids: string[]): Promise<Map<string, Found>> {
  const response = await deps.es.mget<SearchDocument>({ index: deps.alias, ids });
  const found = new Map<string, Found>();
  for (const doc of response.docs) {
    if (!('found' in doc) || !doc.found || !doc._source) continue;
    found.set(doc._id, { source: doc._source, version: doc._version ?? 0, seqNo: doc._seq_no ?? 0, primaryTerm: doc._primary_term ?? 0 });
  }
  return found;
}

async function write(deps: ReconcileDeps, record: RecordDocument, versionType: 'external' | 'external_gte'): Promise<undefined> {
  try {
    await deps.es.index({
      index: deps.alias,
      id: record._id,
      document: toSearchDocument(record),
      version: record.version,
      version_type: versionType,
      require_alias: true,
    });
  } catch (error) {
    // A newer version got there first: the workflow wrote it, nothing left to repair.
    if (!isErrorType(error, 'version_conflict_engine_exception')) throw error;
  }
  return undefined;
}

function compare(record: RecordDocument, found: Found | undefined): { kind: 'search-missing' | 'search-stale'; detail: string; how: 'write' | 'rewrite' | 'replace' } | undefined {
  if (!found) return { kind: 'search-missing', detail: `no search document (record version ${record.version})`, how: 'write' };
  if (found.version < record.version) return { kind: 'search-stale', detail: `search version ${found.version} < record version ${record.version}`, how: 'write' };
  if (found.version > record.version) return { kind: 'search-stale', detail: `search version ${found.version} > record version ${record.version}`, how: 'replace' };
  if (!isDeepStrictEqual(found.source, plain(toSearchDocument(record)))) {
    return { kind: 'search-stale', detail: `content differs from the record at version ${record.version}`, how: 'rewrite' };
  }
  return undefined;
}

async function checkRecords(deps: ReconcileDeps, options: ReconcileOptions, now: number, result: CheckResult): Promise<void> {
  const cursor = deps.db.records.find({}, { projection: { outbox: 0 }, batchSize: options.batchSize });
  let batch: RecordDocument[] = [];
  const flush = async (): Promise<void> => {
    const docs = await fetchDocs(deps, batch.map((r) => r._id));
    for (const record of batch) {
      const found = docs.get(record._id);
      const problem = compare(record, found);
      if (!problem) continue;
      // A record changed a moment ago is being processed: its document follows shortly.
      if (problem.how === 'write' && now - record.updatedAt.getTime() < options.graceMs) {
        result.inFlight++;
        continue;
      }
      const drift: Drift = { kind: problem.kind, id: record._id, detail: problem.detail };
      result.drift.push(drift);
      if (!options.repair) continue;
      await attempt(drift, deps.logger, async () => {
        if (problem.how === 'write') return write(deps, record, 'external');
        if (problem.how === 'rewrite') return write(deps, record, 'external_gte');
        // Ahead of MongoDB (e.g. MongoDB restored from a backup): drop it if unchanged, then write.
        await deps.es.delete({ index: deps.alias, id: record._id, if_seq_no: found!.seqNo, if_primary_term: found!.primaryTerm });
        return write(deps, record, 'external');
      });
    }
    result.checked['records'] = (result.checked['records'] ?? 0) + batch.length;
    batch = [];
  };
  try {
    for await (const record of cursor) {
      batch.push(record);
      if (batch.length >= options.batchSize) await flush();
    }
    if (batch.length > 0) await flush();
  } finally {
    await cursor.close();
  }
}

async function checkOrphans(deps: ReconcileDeps, options: ReconcileOptions, result: CheckResult): Promise<void> {
  let after: (string | number)[] | undefined;
  for (;;) {
    const response = await deps.es.search({
      index: deps.alias,
      size: options.batchSize,
      _source: false,
      sort: [{ recordId: 'asc' }],
      ...(after ? { search_after: after } : {}),
      query: { match_all: {} },
    });
    const hits = response.hits.hits;
    if (hits.length === 0) return;
    result.checked['searchDocuments'] = (result.checked['searchDocuments'] ?? 0) + hits.length;
    const ids = hits.map((h) => h._id).filter((id): id is string => !!id);
    // The record is written before its document, so a document read before this lookup whose
    // record is absent has no record.
    const known = new Set((await deps.db.records.find({ _id: { $in: ids } }, { projection: { _id: 1 } }).toArray()).map((r) => r._id));
    for (const hit of hits) {
      if (!hit._id || known.has(hit._id)) continue;
      // Search sees the last refresh; a get is real time (a document deleted since is gone).
      const current = await deps.es.get({ index: deps.alias, id: hit._id, _source: false }, { ignore: [404] });
      if (!current.found) continue;
      const drift: Drift = { kind: 'search-orphaned', id: hit._id, detail: 'search document without a record' };
      result.drift.push(drift);
      if (!options.repair) continue;
      await attempt(drift, deps.logger, async () => {
        try {
          await deps.es.delete({ index: deps.alias, id: current._id, if_seq_no: current._seq_no!, if_primary_term: current._primary_term! });
        } catch (error) {
          if (isErrorType(error, 'version_conflict_engine_exception')) return 'the document changed meanwhile; run again';
          throw error;
        }
        return undefined;
      });
    }
    after = hits[hits.length - 1]!.sort as (string | number)[];
  }
}

export async function checkSearch(deps: ReconcileDeps, options: ReconcileOptions, now = Date.now()): Promise<CheckResult> {
  const result: CheckResult = { drift: [], inFlight: 0, checked: {} };
  if ((await aliasHolders(deps.es, deps.alias)).length === 0) {
    const drift: Drift = { kind: 'search-index-missing', id: deps.alias, detail: 'the search alias is missing: every search document is gone' };
    result.drift.push(drift);
    if (!options.repair) return result;
    await attempt(drift, deps.logger, async () => {
      await rebuildSearchIndex(deps.es, deps.db, new SearchIndex(deps.es, deps.alias, deps.refreshInterval), deps.logger);
      return undefined;
    });
    if (!drift.repaired) return result;
  }
  await checkRecords(deps, options, now, result);
  await checkOrphans(deps, options, result);
  return result;
}
