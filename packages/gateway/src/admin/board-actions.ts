/**
 * What the gateway lets through to Bull Board. The board is for seeing everything and for the
 * two actions that only move a job forward: retry a failed job (one, or all failed jobs of a
 * queue) and promote a delayed one. Everything else Bull Board's API offers (add a job, edit
 * its data, clean, empty, obliterate, remove, pause/resume, rate limits, concurrency,
 * schedulers, retry a completed job) could queue work that skipped the gateway's checks or
 * drop submissions that clients were told are safe, so it is refused here, before Bull Board
 * sees the request, whoever asks.
 *
 * Bull Board's own `readOnlyMode` cannot express this: it also refuses retries.
 */

/** Paths are Hapi route templates relative to the board's base path. */
export type BoardAction =
  | { kind: 'read' }
  | { kind: 'retry'; queue: string; jobId: string }
  | { kind: 'retry-all'; queue: string }
  | { kind: 'promote'; queue: string; jobId: string }
  | { kind: 'promote-all'; queue: string }
  | { kind: 'refused'; route: string };

type Params = Record<string, string | undefined>;

export function boardAction(method: string, routePath: string, params: Params): BoardAction {
  const verb = method.toLowerCase();
  if (verb === 'get' || verb === 'head') return { kind: 'read' };
  const queue = params['queueName'] ?? '';
  const jobId = params['jobId'] ?? '';
  if (verb === 'put') {
    switch (routePath) {
      case '/api/queues/{queueName}/{jobId}/retry':
        return { kind: 'retry', queue, jobId };
      case '/api/queues/{queueName}/retry/{queueStatus}':
        // Retrying every completed job would run finished work again.
        if (params['queueStatus'] === 'failed') return { kind: 'retry-all', queue };
        break;
      case '/api/queues/{queueName}/{jobId}/promote':
        return { kind: 'promote', queue, jobId };
      case '/api/queues/{queueName}/promote':
        return { kind: 'promote-all', queue };
    }
  }
  return { kind: 'refused', route: `${verb.toUpperCase()} ${routePath}` };
}

/** The audit and log name of an allowed action that changes something. */
export const isChange = (action: BoardAction): action is Exclude<BoardAction, { kind: 'read' } | { kind: 'refused' }> =>
  action.kind !== 'read' && action.kind !== 'refused';
