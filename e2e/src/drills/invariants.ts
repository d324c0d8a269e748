/**
 * The invariants a drill must leave true, read from the stores themselves (CONTRACT.md's
 * storage names, under the run's own database, index and buckets), over every draft the run has
 * sent so far: one record, one search document, one copy of each attachment and one audit entry
 * per submission; nothing in a store that no record owns; nothing unfinished without an alert.
 */
import { createElasticsearch, storeConfigFrom, storeEnvSchema } from '@steadfast/commons';
import type { storesOf } from '../client.js';
import type { Outcome } from './load.js';

export interface Invariants {
  /** Distinct drafts a submission of which the gateway accepted. */
  accepted: number;
  /** Of those, `RecordProcessed` at the end. */
  processed: number;
  /** Of those, `RecordRejected` at the end (none expected: the load sends only valid work). */
  rejected: number;
  /** Errors no retry can fix (idempotency key reused, bad input): each is a bug. */
  fatal: number;
  /** Drafts whose every submission was refused, until the end of the drill. */
  neverAccepted: number;
  duplicates: { records: number; search: number; attachments: number; audit: number };
  orphans: { objects: number; staged: number; search: number };
  /** Processed drafts missing their record, search document, attachment object or audit entry. */
  lost: number;
  /** Search documents whose status differs from their record's (a projection left behind). */
  stale: number;
  /** Registrars' records never answered by the country. */
  unconfirmed: number;
  /** Accepted, not finished, and no alert in `alerts`. */
  stuck: number;
  /** Accepted, not finished, with an alert. */
  alerted: number;
  /** Examples, to say what went wrong. */
  notes: string[];
}

export const totalDuplicates = (i: Invariants): number =>
  i.duplicates.records + i.duplicates.search + i.duplicates.attachments + i.duplicates.audit;
export const totalOrphans = (i: Invariants): number => i.orphans.objects + i.orphans.staged + i.orphans.search;

/** The failed invariants, in words; empty when the drill passed. */
export function failures(i: Invariants): string[] {
  const failed: string[] = [];
  if (i.accepted !== i.processed) failed.push(`accepted ${i.accepted} != processed ${i.processed}`);
  if (i.fatal > 0) failed.push(`${i.fatal} submissions refused for good`);
  if (i.neverAccepted > 0) failed.push(`${i.neverAccepted} drafts never accepted`);
  if (totalDuplicates(i) > 0) failed.push(`duplicates ${JSON.stringify(i.duplicates)}`);
  if (totalOrphans(i) > 0) failed.push(`orphans ${JSON.stringify(i.orphans)}`);
  if (i.lost > 0) failed.push(`${i.lost} processed drafts missing data`);
  if (i.stale > 0) failed.push(`${i.stale} stale search documents`);
  if (i.unconfirmed > 0) failed.push(`${i.unconfirmed} registrations never confirmed`);
  if (i.stuck > 0) failed.push(`${i.stuck} drafts stuck without an alert`);
  return failed;
}

/** The plain counts of `Invariants` (what `minus` subtracts and `sum` adds). */
function countsOf(i: Invariants) {
  return { accepted: i.accepted, processed: i.processed, rejected: i.rejected, fatal: i.fatal, neverAccepted: i.neverAccepted, lost: i.lost, stale: i.stale, unconfirmed: i.unconfirmed, stuck: i.stuck, alerted: i.alerted };
}

/**
 * What a drill added: the stores are checked over the whole run, so a violation left by one drill
 * is counted against that drill only, and the next drill is judged on what it added.
 */
export function minus(current: Invariants, previous?: Invariants): Invariants {
  if (!previous) return current;
  const d = <T extends Record<string, number>>(a: T, b: T): T =>
    Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v - (b[k] ?? 0)])) as T;
  return {
    ...d(countsOf(current), countsOf(previous)),
    duplicates: d(current.duplicates, previous.duplicates),
    orphans: d(current.orphans, previous.orphans),
    notes: current.notes.filter((n) => !previous.notes.includes(n)),
  };
}

/**
 * Several drills' counts together, each part what its drill added (`minus`): over one system the
 * sum is its last cumulative count; the topology drills run systems of their own, so the whole
 * run's row adds every drill's part rather than take the last drill's system.
 */
export function sum(parts: readonly Invariants[]): Invariants {
  const add = <T extends Record<string, number>>(pick: (i: Invariants) => T): T => {
    const total: Record<string, number> = {};
    for (const part of parts) for (const [k, v] of Object.entries(pick(part))) total[k] = (total[k] ?? 0) + v;
    return total as T;
  };
  return {
    ...add(countsOf),
    duplicates: add((i) => i.duplicates),
    orphans: add((i) => i.orphans),
    notes: parts.flatMap((i) => i.notes),
  };
}

type View = ReturnType<typeof storesOf>;

export async function checkInvariants(view: View, env: Record<string, string>, outcomes: Outcome[]): Promise<Invariants> {
  const notes: string[] = [];
  const note = (text: string) => {
    if (notes.length < 12) notes.push(text);
  };
  const accepted = outcomes.filter((o) => o.accepted);
  const processed = accepted.filter((o) => o.final?.__typename === 'RecordProcessed');
  const rejected = accepted.filter((o) => o.final?.__typename === 'RecordRejected');
  for (const o of rejected) note(`rejected ${o.draft.label}: ${o.final?.reason ?? ''}`);
  const fatal = outcomes.filter((o) => o.fatal.length > 0);
  for (const o of fatal) note(`refused ${o.draft.label}: ${o.fatal[0] ?? ''}`);

  // Records: one per create, none for anything else.
  const records = await view.records.find({}, { projection: { _id: 1, draftId: 1, status: 1, attachments: 1, externalValidation: 1, createdBy: 1 } }).toArray();
  const creates = new Set(outcomes.filter((o) => o.draft.event).map((o) => o.draft.draftId));
  const recordsByDraft = new Map<string, number>();
  for (const r of records) recordsByDraft.set(r.draftId, (recordsByDraft.get(r.draftId) ?? 0) + 1);
  let duplicateRecords = 0;
  for (const [draftId, n] of recordsByDraft) {
    if (n > 1) duplicateRecords += n - 1;
    if (!creates.has(draftId)) {
      duplicateRecords += n;
      note(`a record for ${draftId}, which is not a create of this run`);
    }
  }

  // Search documents: one per record, `_id` = recordId.
  const config = storeConfigFrom(storeEnvSchema.parse({ ...process.env, ...env }));
  const es = createElasticsearch(config.elasticsearch);
  await es.indices.refresh({ index: config.elasticsearch.index });
  const hits = (
    await es.search<{ draftId: string; status: string }>({ index: config.elasticsearch.index, size: 10_000, _source: ['draftId', 'status'], query: { match_all: {} } })
  ).hits.hits;
  await es.close();
  const recordIds = new Map(records.map((r) => [r._id, r]));
  const docs = new Map<string, string>();
  const docsByDraft = new Map<string, number>();
  let orphanDocs = 0;
  let stale = 0;
  for (const hit of hits) {
    const source = hit._source;
    if (!hit._id || !source) continue;
    docs.set(hit._id, source.status);
    docsByDraft.set(source.draftId, (docsByDraft.get(source.draftId) ?? 0) + 1);
    const record = recordIds.get(hit._id);
    if (!record) {
      orphanDocs++;
      note(`search document ${hit._id} has no record`);
    } else if (record.status !== source.status) {
      stale++;
      note(`search document ${hit._id} says ${source.status}, the record ${record.status}`);
    }
  }
  const duplicateDocs = [...docsByDraft.values()].reduce((sum, n) => sum + Math.max(0, n - 1), 0);

  // Attachments: every object belongs to a record, once; every staged copy is cleaned up.
  const objects = new Set(await view.attachments());
  const referenced = new Set<string>();
  const refsByDraft = new Map<string, number>();
  for (const r of records) {
    for (const a of r.attachments) {
      referenced.add(a.key);
      refsByDraft.set(a.draftId, (refsByDraft.get(a.draftId) ?? 0) + 1);
    }
  }
  // Every sample submission carries exactly one attachment.
  const duplicateAttachments = [...refsByDraft.values()].reduce((sum, n) => sum + Math.max(0, n - 1), 0);
  const orphanObjects = [...objects].filter((key) => !referenced.has(key));
  for (const key of orphanObjects.slice(0, 3)) note(`object ${key} belongs to no record`);
  const unfinished = new Set(accepted.filter((o) => o.final?.__typename !== 'RecordProcessed' && o.final?.__typename !== 'RecordRejected').map((o) => o.draft.draftId));
  const staged = (await view.staged()).filter((key) => !unfinished.has(key.slice(0, key.indexOf('/'))));
  for (const key of staged.slice(0, 3)) note(`staged object ${key} left behind`);

  // Audit: one entry per action per draft.
  const duplicateAudit = await view.duplicateAuditEntries();
  const audited = new Set((await view.audit.find({}, { projection: { draftId: 1 } }).toArray()).map((a) => a.draftId));

  // Nothing a processed draft needs is missing.
  let lost = 0;
  const attachmentKeysOf = new Map<string, string[]>();
  for (const r of records) for (const a of r.attachments) attachmentKeysOf.set(a.draftId, [...(attachmentKeysOf.get(a.draftId) ?? []), a.key]);
  for (const o of processed) {
    const recordId = o.final?.recordId ?? '';
    const missing: string[] = [];
    if (!recordIds.has(recordId)) missing.push('record');
    if (!docs.has(recordId)) missing.push('search document');
    if (!audited.has(o.draft.draftId)) missing.push('audit entry');
    const keys = attachmentKeysOf.get(o.draft.draftId) ?? [];
    if (keys.length === 0 || keys.some((k) => !objects.has(k))) missing.push('attachment');
    if (missing.length > 0) {
      lost++;
      note(`${o.draft.label} (${o.draft.draftId}) processed but missing: ${missing.join(', ')}`);
    }
  }

  // A registrar's record ends with the country's answer.
  const registrarDrafts = new Set(processed.filter((o) => o.draft.user === 'registrar' && o.draft.event).map((o) => o.draft.draftId));
  const unconfirmed = records.filter((r) => registrarDrafts.has(r.draftId) && !r.externalValidation);
  for (const r of unconfirmed.slice(0, 3)) note(`record ${r._id} (${r.status}) has no answer from the country`);

  // Unfinished drafts need an alert.
  const alertedIds = new Set((await view.records.db.collection<{ draftId: string }>('alerts').find({ draftId: { $in: [...unfinished] } }).toArray()).map((a) => a.draftId));
  const stuck = [...unfinished].filter((id) => !alertedIds.has(id));
  for (const id of stuck.slice(0, 3)) {
    const o = accepted.find((x) => x.draft.draftId === id);
    note(`stuck without an alert: ${o?.draft.label ?? id} (${id}): ${o?.final?.__typename ?? 'no status'} step=${o?.final?.step ?? ''} ${o?.final?.lastError ?? ''}`);
  }

  return {
    accepted: accepted.length,
    processed: processed.length,
    rejected: rejected.length,
    fatal: fatal.length,
    neverAccepted: outcomes.filter((o) => !o.accepted && o.fatal.length === 0).length,
    duplicates: { records: duplicateRecords, search: duplicateDocs, attachments: duplicateAttachments, audit: duplicateAudit },
    orphans: { objects: orphanObjects.length, staged: staged.length, search: orphanDocs },
    lost,
    stale,
    unconfirmed: unconfirmed.length,
    stuck: stuck.length,
    alerted: unfinished.size - stuck.length,
    notes,
  };
}
