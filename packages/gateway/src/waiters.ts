/**
 * The requests held by a `fetchRecordStatus` long-poll, by draftId: each waits until its draft's
 * job reports progress (`wake`), its wait elapses, its client goes away, or the gateway stops
 * (`close`). At most `max` at a time, so a burst of clients cannot hold unbounded memory and
 * sockets; past the bound a request is answered at once. Timers never keep the process alive.
 */
import type { RecordJobResult } from '@steadfast/commons';

/** Why a wait ended. */
export type WakeReason = 'woken' | 'timeout' | 'aborted' | 'released';

export interface Waiter {
  /** Settles (never rejects) when the wait ends, with why. */
  readonly done: Promise<WakeReason>;
  /** The job's result when it was woken by its job completing (the event carries it). */
  readonly result: () => RecordJobResult | undefined;
  /** Ends the wait now, if it has not ended ('released'); always safe to call, also twice. */
  release(): void;
}

interface Entry {
  draftId: string;
  settle: (reason: WakeReason, result?: RecordJobResult) => void;
}

export class StatusWaiters {
  private readonly byDraft = new Map<string, Set<Entry>>();
  private count = 0;
  private stopped = false;

  constructor(readonly max: number) {}

  /** Requests waiting now. */
  get size(): number {
    return this.count;
  }

  get closed(): boolean {
    return this.stopped;
  }

  /**
   * Registers a wait on `draftId` for at most `timeoutMs`; ends early when `signal` aborts.
   * Undefined when `max` requests already wait or the registry is closed: answer at once.
   */
  register(draftId: string, timeoutMs: number, signal?: AbortSignal): Waiter | undefined {
    if (this.stopped || this.count >= this.max) return undefined;
    if (signal?.aborted) return { done: Promise.resolve('aborted'), result: () => undefined, release: () => undefined };

    let resolve!: (reason: WakeReason) => void;
    const done = new Promise<WakeReason>((r) => (resolve = r));
    let settled = false;
    let completed: RecordJobResult | undefined;
    const entry: Entry = {
      draftId,
      settle: (reason, result) => {
        if (settled) return;
        settled = true;
        completed = result;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.remove(entry);
        resolve(reason);
      },
    };
    const onAbort = () => entry.settle('aborted');
    const timer = setTimeout(() => entry.settle('timeout'), timeoutMs);
    timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });

    let waiting = this.byDraft.get(draftId);
    if (!waiting) {
      waiting = new Set();
      this.byDraft.set(draftId, waiting);
    }
    waiting.add(entry);
    this.count++;
    return { done, result: () => completed, release: () => entry.settle('released') };
  }

  /**
   * Ends the waits on `draftId` ('woken'), with the job's result when it completed; returns how
   * many there were.
   */
  wake(draftId: string, result?: RecordJobResult): number {
    const waiting = this.byDraft.get(draftId);
    if (!waiting) return 0;
    const entries = [...waiting];
    for (const entry of entries) entry.settle('woken', result);
    return entries.length;
  }

  /** Ends every wait ('released') and refuses new ones: the gateway is stopping. */
  close(): void {
    this.stopped = true;
    for (const waiting of [...this.byDraft.values()]) {
      for (const entry of [...waiting]) entry.settle('released');
    }
  }

  private remove(entry: Entry): void {
    const waiting = this.byDraft.get(entry.draftId);
    if (!waiting?.delete(entry)) return;
    this.count--;
    if (waiting.size === 0) this.byDraft.delete(entry.draftId);
  }
}
