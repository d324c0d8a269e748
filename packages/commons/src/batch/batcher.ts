/**
 * Group commit: items added by concurrent callers wait together for one store call, sent when
 * `maxSize` items wait or `maxWaitMs` has passed since the first of them, whichever comes first.
 * Each caller's promise settles with its own item's result: one item's failure fails only its
 * caller, and a failure of the whole call fails every item of that call.
 *
 * Not `dataloader`: it cuts a batch at its size bound but still waits for the timer to send it,
 * and it is built for keyed, cached reads rather than writes.
 */

/** One item's result, as a store call reports it. */
export type ItemResult<R> = { ok: true; value: R } | { ok: false; error: unknown };

export const itemOk = <R>(value: R): ItemResult<R> => ({ ok: true, value });
export const itemFailed = <R = never>(error: unknown): ItemResult<R> => ({ ok: false, error });

export interface BatchOptions {
  /** A batch is sent as soon as this many items wait. */
  maxSize: number;
  /** …or this long after its first item was added (0: on the next turn of the event loop). */
  maxWaitMs: number;
  /** Called with the size of every batch sent (a metric). */
  onFlush?: (size: number) => void;
  /**
   * At most this many calls at once (unset: no bound). A batch due while that many are out waits
   * for one of them to settle, gathering whatever else comes meanwhile, and goes out then: under
   * load the batches grow by themselves, with no timer added at a quiet moment.
   */
  maxInFlight?: number;
}

/** The store call: given the items, their results in the same order (one per item). */
export type BatchCall<I, R> = (items: readonly I[]) => Promise<ReadonlyArray<ItemResult<R>>>;

interface Waiting<I, R> {
  item: I;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

/**
 * How a call's answer settles its items: each its own result; a missing result (a call that
 * answered fewer than it was given) or a failed call fails the item.
 */
export function settleEach<R>(count: number, outcome: { results: ReadonlyArray<ItemResult<R>> } | { error: unknown }): ItemResult<R>[] {
  if ('error' in outcome) return Array.from({ length: count }, () => itemFailed<R>(outcome.error));
  const { results } = outcome;
  return Array.from({ length: count }, (_unused, i) =>
    results[i] ?? itemFailed<R>(new Error(`the batch call answered ${results.length} results for ${count} items`)),
  );
}

export class Batcher<I, R> {
  private waiting: Array<Waiting<I, R>> = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;

  constructor(
    private readonly call: BatchCall<I, R>,
    private readonly options: BatchOptions,
  ) {
    if (!(options.maxSize >= 1)) throw new Error('a batch holds at least one item');
  }

  /** Adds an item to the next batch; settles with that item's result. */
  add(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.waiting.length >= this.options.maxSize) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.maxWaitMs);
    });
  }

  /** Items waiting for the next batch. */
  get pending(): number {
    return this.waiting.length;
  }

  /** Sends what waits now (the timer's work; also for a caller that will not wait). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // As many calls out as allowed: what waits goes when one of them settles (`settled`).
    if (this.options.maxInFlight !== undefined && this.inFlight >= this.options.maxInFlight) return;
    const batch = this.waiting.splice(0, this.options.maxSize);
    // More than one batch's worth (added in the same turn): the rest go out next.
    if (this.waiting.length > 0) this.timer = setTimeout(() => this.flush(), 0);
    if (batch.length === 0) return;
    this.options.onFlush?.(batch.length);
    const items = batch.map((w) => w.item);
    this.inFlight += 1;
    // A call that throws instead of rejecting fails its items the same way.
    new Promise<ReadonlyArray<ItemResult<R>>>((resolve) => resolve(this.call(items))).then(
      (results) => this.settled(batch, settleEach(batch.length, { results })),
      (error: unknown) => this.settled(batch, settleEach(batch.length, { error })),
    );
  }

  private settled(batch: ReadonlyArray<Waiting<I, R>>, results: ReadonlyArray<ItemResult<R>>): void {
    this.inFlight -= 1;
    deliver(batch, results);
    if (this.options.maxInFlight !== undefined && this.waiting.length > 0) this.flush();
  }
}

function deliver<I, R>(batch: ReadonlyArray<Waiting<I, R>>, results: ReadonlyArray<ItemResult<R>>): void {
  batch.forEach((waiting, i) => {
    const result = results[i]!;
    if (result.ok) waiting.resolve(result.value);
    else waiting.reject(result.error);
  });
}
