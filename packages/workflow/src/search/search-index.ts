/**
 * The Elasticsearch side of a record: the `records` alias over a versioned index, the search
 * document (a projection of the MongoDB record) and the duplicate query.
 *
 * A search document is always written from the record as it is in MongoDB, with the record's
 * `version` as Elasticsearch's external version: a write of an older version is refused by
 * Elasticsearch (409), so a slow or repeated write can never overwrite a newer one.
 */
import type { ElasticsearchClient, RecordDocument } from '@steadfast/commons';

export interface SearchPerson {
  firstNames?: string;
  familyName?: string;
  birthDate?: string;
}

export interface SearchDocument {
  recordId: string;
  draftId: string;
  trackingId: string;
  event: string;
  status: string;
  registrationNumber?: string;
  eventDate?: string;
  /** The person the record is about: the child, the deceased, or the bride. */
  subject: SearchPerson;
  /** The second person used to tell records apart: mother, informant, or groom. */
  related: SearchPerson;
  country?: string;
  district?: string;
  hasPotentialDuplicates: boolean;
  duplicates: string[];
  createdAt: string;
  updatedAt: string;
  version: number;
}

const SUBJECT = { birth: 'child', death: 'deceased', marriage: 'bride' } as const;
const RELATED = { birth: 'mother', death: 'informant', marriage: 'groom' } as const;

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function person(value: unknown): SearchPerson {
  const p = (value ?? {}) as Record<string, unknown>;
  const out: SearchPerson = {};
  const firstNames = str(p['firstNames']);
  const familyName = str(p['familyName']);
  const birthDate = str(p['birthDate']);
  if (firstNames) out.firstNames = firstNames;
  if (familyName) out.familyName = familyName;
  if (birthDate) out.birthDate = birthDate;
  return out;
}

export function toSearchDocument(record: RecordDocument): SearchDocument {
  const data = record.data;
  const place = (data['eventLocation'] ?? {}) as Record<string, unknown>;
  const doc: SearchDocument = {
    recordId: record._id,
    draftId: record.draftId,
    trackingId: record.trackingId,
    event: record.event,
    status: record.status,
    subject: person(data[SUBJECT[record.event]]),
    related: person(data[RELATED[record.event]]),
    hasPotentialDuplicates: record.hasPotentialDuplicates,
    duplicates: [...record.duplicates].sort(),
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
    version: record.version,
  };
  const eventDate = str(data['eventDate']);
  const country = str(place['country']);
  const district = str(place['district']);
  if (eventDate) doc.eventDate = eventDate;
  if (country) doc.country = country;
  if (district) doc.district = district;
  if (record.registrationNumber) doc.registrationNumber = record.registrationNumber;
  return doc;
}

const personMapping = {
  properties: {
    firstNames: { type: 'text', fields: { keyword: { type: 'keyword' } } },
    familyName: { type: 'text', fields: { keyword: { type: 'keyword' } } },
    birthDate: { type: 'date', format: 'strict_date' },
  },
} as const;

export class SearchIndex {
  constructor(
    private readonly es: ElasticsearchClient,
    /** The alias every reader uses; the concrete index behind it is `<alias>-v1` at first. */
    readonly alias: string,
  ) {}

  /** Creates `<alias>-v1` with the alias unless the alias (or an index of that name) exists. */
  async ensure(): Promise<void> {
    if (await this.es.indices.exists({ index: this.alias })) return;
    try {
      await this.es.indices.create({
        index: `${this.alias}-v1`,
        aliases: { [this.alias]: { is_write_index: true } },
        settings: { number_of_shards: 1, number_of_replicas: 0 },
        mappings: {
          dynamic: 'strict',
          properties: {
            recordId: { type: 'keyword' },
            draftId: { type: 'keyword' },
            trackingId: { type: 'keyword' },
            event: { type: 'keyword' },
            status: { type: 'keyword' },
            registrationNumber: { type: 'keyword' },
            eventDate: { type: 'date', format: 'strict_date' },
            subject: personMapping,
            related: personMapping,
            country: { type: 'keyword' },
            district: { type: 'keyword' },
            hasPotentialDuplicates: { type: 'boolean' },
            duplicates: { type: 'keyword' },
            createdAt: { type: 'date' },
            updatedAt: { type: 'date' },
            version: { type: 'long' },
          },
        },
      });
    } catch (error) {
      if (!isErrorType(error, 'resource_already_exists_exception')) throw error;
    }
  }

  /**
   * Writes the record's search document at the record's version. Returns false when
   * Elasticsearch already holds this version or a newer one (nothing to do).
   * `visible` waits for a refresh, so a query right after sees the document.
   */
  async project(record: RecordDocument, { visible = false } = {}): Promise<boolean> {
    try {
      await this.es.index({
        index: this.alias,
        id: record._id,
        document: toSearchDocument(record),
        version: record.version,
        version_type: 'external',
        refresh: visible ? 'wait_for' : false,
      });
      return true;
    } catch (error) {
      if (isErrorType(error, 'version_conflict_engine_exception')) return false;
      throw error;
    }
  }

  async get(recordId: string): Promise<SearchDocument | undefined> {
    const response = await this.es.get<SearchDocument>({ index: this.alias, id: recordId }, { ignore: [404] });
    return response.found ? response._source : undefined;
  }

  /**
   * Other records of the same event with similar names (fuzzy) and an event date within three
   * days: the candidates a registrar must look at. Sorted ids, so the answer is a set.
   */
  async findDuplicates(record: RecordDocument): Promise<string[]> {
    const doc = toSearchDocument(record);
    if (!doc.subject.familyName || !doc.subject.firstNames) return [];
    const must: object[] = [
      { term: { event: doc.event } },
      { match: { 'subject.familyName': { query: doc.subject.familyName, fuzziness: 'AUTO' } } },
      { match: { 'subject.firstNames': { query: doc.subject.firstNames, fuzziness: 'AUTO', operator: 'and' } } },
    ];
    if (doc.eventDate) must.push({ range: { eventDate: { gte: `${doc.eventDate}||-3d`, lte: `${doc.eventDate}||+3d` } } });
    if (doc.related.familyName) {
      must.push({ match: { 'related.familyName': { query: doc.related.familyName, fuzziness: 'AUTO' } } });
    }
    const response = await this.es.search({
      index: this.alias,
      size: 50,
      _source: false,
      query: { bool: { must, must_not: [{ ids: { values: [record._id] } }] } },
    });
    return response.hits.hits.map((hit) => hit._id).filter((id): id is string => !!id).sort();
  }
}

function isErrorType(error: unknown, type: string): boolean {
  const body = (error as { meta?: { body?: { error?: { type?: string } } } }).meta?.body;
  return body?.error?.type === type;
}
