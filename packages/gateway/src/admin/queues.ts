/**
 * Every queue Steadfast runs, as the board lists them: the record queue, the queues the
 * workflow and the country config name after it, and the event partitions (whose failed sets
 * are the dead-letter queue). The names follow the services that create them:
 * workflow/src/server.ts (`notification-<record>`, `record-outcome-<record>`) and
 * config/src/server.ts (`country-validation-<record>`); the admin console's e2e test checks
 * that every queue of a running system is listed.
 */
import { queueBase } from '@steadfast/commons';
import { Queue, type ConnectionOptions } from 'bullmq';

export interface BoardQueue {
  queue: Queue;
  description: string;
}

/** The queues named after the record queue, with what each is for. */
export const queuesNamedAfter = (recordQueue: string): Array<{ name: string; description: string }> => [
  { name: `notification-${recordQueue}`, description: 'Notifications to informants, in batches: one job lists those enqueued together (its name: how many, which kinds). Each is sent at most once; a job whose sends partly failed released their claims: retry sends those only.' },
  { name: `record-outcome-${recordQueue}`, description: "Follow-ups of the country's confirm/reject answer (audit entry, search document, notification)." },
  { name: `country-validation-${recordQueue}`, description: "The reference country config's validation requests (run by the country config service)." },
];

export interface ConsoleQueues {
  queues: BoardQueue[];
  /** Closes the queues this module opened (not those it was given). */
  close(): Promise<void>;
}

export function consoleQueues(recordQueue: Queue, eventQueues: Queue[], connection: ConnectionOptions, onError: (queue: string, error: Error) => void): ConsoleQueues {
  const opened = queuesNamedAfter(recordQueue.name).map(({ name, description }) => {
    const queue = new Queue(name, queueBase(connection));
    queue.on('error', (error: Error) => onError(name, error));
    return { queue, description };
  });
  const queues: BoardQueue[] = [
    { queue: recordQueue, description: 'Submissions, one job per draftId. Failed = exhausted its attempts: retry resumes it at the failed step.' },
    ...opened,
    ...eventQueues.map((queue) => ({
      queue,
      description: 'Domain events of one partition, in order per record. Failed = dead letters: retry replays the event once.',
    })),
  ];
  return { queues, close: async () => void (await Promise.all(opened.map(({ queue }) => queue.close()))) };
}
