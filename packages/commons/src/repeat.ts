/**
 * Periodic background work (sweeps): runs `work`, waits `intervalMs` after it ends, runs it
 * again, until stopped. A failed round is reported and the next one runs as planned; rounds never
 * overlap.
 */
export interface Repeating {
  stop(): void;
}

export function repeatEvery(intervalMs: number, work: () => Promise<void>, onError: (error: Error) => void): Repeating {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = (): void => {
    work()
      .catch((error: unknown) => onError(error as Error))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  timer = setTimeout(tick, intervalMs);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
