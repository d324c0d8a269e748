/**
 * The batches the pipeline's services sent to each store, as they report them on `/metrics`: the
 * Prometheus histogram `steadfast_batch_size{store,op}` (items per batch), read before and after a
 * run. Per (service, store, op): how many batches, and their mean size. A service that does not
 * report the histogram (or could not be read) contributes nothing: "none seen".
 */
export const BATCH_SIZE_METRIC = 'steadfast_batch_size';

export interface BatchTotals {
  store: string;
  op: string;
  count: number;
  sum: number;
}

export interface BatchSizes {
  service: string;
  store: string;
  op: string;
  batches: number;
  items: number;
  mean: number;
}

/** `a="x",b="y"` → { a: 'x', b: 'y' } (escaped quotes and backslashes undone). */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const match of text.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
    labels[match[1] as string] = (match[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

/** The histogram's `_sum` and `_count` per (store, op), keyed `store op`. */
export function parseBatchTotals(text: string, name = BATCH_SIZE_METRIC): Map<string, BatchTotals> {
  const totals = new Map<string, BatchTotals>();
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${name}_(sum|count)(?:\\{([^}]*)\\})?\\s+(\\S+)`).exec(line);
    if (!match) continue;
    const labels = parseLabels(match[2] ?? '');
    const store = labels['store'] ?? '';
    const op = labels['op'] ?? '';
    const key = `${store} ${op}`;
    const entry = totals.get(key) ?? { store, op, count: 0, sum: 0 };
    entry[match[1] === 'sum' ? 'sum' : 'count'] += Number(match[3]);
    totals.set(key, entry);
  }
  return totals;
}

/** What a service's batches came to between two readings; only (store, op) pairs that saw a batch. */
export function batchSizesDelta(service: string, after: Map<string, BatchTotals>, before: Map<string, BatchTotals>): BatchSizes[] {
  const sizes: BatchSizes[] = [];
  for (const [key, a] of after) {
    const b = before.get(key);
    const batches = a.count - (b?.count ?? 0);
    const items = a.sum - (b?.sum ?? 0);
    if (batches > 0) sizes.push({ service, store: a.store, op: a.op, batches, items, mean: items / batches });
  }
  return sizes.sort((x, y) => `${x.store} ${x.op}`.localeCompare(`${y.store} ${y.op}`));
}

/** With `records`, each line also says how many items per record it carried. */
export function formatBatchSizes(sizes: readonly BatchSizes[], records?: number): string[] {
  if (sizes.length === 0) return [`none seen (no ${BATCH_SIZE_METRIC} on the services' /metrics)`];
  return sizes.map(
    (s) =>
      `${`${s.service} ${s.store} ${s.op}`.padEnd(40)} ${String(s.batches).padStart(6)} batches, mean ${s.mean.toFixed(2)} items` +
      (records ? `, ${(s.items / records).toFixed(2)} per record` : ''),
  );
}

/** MongoDB batch ops that write documents (the services name them `insert-…`, `write-…`, `clear-…`). */
const WRITING_OP = /^(insert|write|clear)-/;

/**
 * Documents the services wrote to MongoDB through their batches, per record: a count that does
 * not depend on how fast the machine is (each is a whole-document write in FerretDB), unlike the
 * CPU it costs. Writes outside the batches (a duplicate flag, a user's rename) are not in it.
 */
export function mongoDocumentsWrittenPerRecord(sizes: readonly BatchSizes[], records: number): { total: number; byOp: Record<string, number> } {
  const byOp: Record<string, number> = {};
  for (const s of sizes) {
    if (s.store !== 'mongodb' || !WRITING_OP.test(s.op)) continue;
    byOp[`${s.service} ${s.op}`] = (byOp[`${s.service} ${s.op}`] ?? 0) + s.items / records;
  }
  return { total: Object.values(byOp).reduce((a, b) => a + b, 0), byOp };
}

/** A service's metrics text; '' when it cannot be read (a service down counts as none seen). */
export async function readMetricsText(url: string): Promise<string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    return response.ok ? await response.text() : '';
  } catch {
    return '';
  }
}
