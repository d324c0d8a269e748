/**
 * Bull Board at `/admin/queues`, for sysadmins (token or console session): every queue, every
 * job, read-only except retrying failed jobs and promoting delayed ones (board-actions.ts). The
 * gateway refuses every other write before Bull Board sees it, and writes each retry and promote
 * to the admin audit trail once Bull Board has answered.
 */
import Boom from '@hapi/boom';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HapiAdapter } from '@bull-board/hapi';
import type Hapi from '@hapi/hapi';
import type { Logger } from '@steadfast/commons';
import type { AdminAudit, AdminAuditEntry } from './audit.js';
import { ADMIN_AUTH, adminOf } from './auth.js';
import { boardAction, isChange, type BoardAction } from './board-actions.js';
import type { BoardQueue } from './queues.js';
import { correlationIdOf } from './requests.js';

export const BOARD_PATH = '/admin/queues';

export async function mountBoard(server: Hapi.Server, queues: BoardQueue[], audit: AdminAudit, logger: Logger): Promise<void> {
  const byName = new Map(queues.map(({ queue }) => [queue.name, queue]));
  /** The action each admitted request is, from the guard to the audit step. */
  const actions = new WeakMap<Hapi.Request, BoardAction>();

  const board = new HapiAdapter();
  createBullBoard({
    queues: queues.map(({ queue, description }) => {
      // allowCompletedRetries (Bull Board's base adapter honours it; its BullMQ typings omit it)
      // hides the retry button of completed jobs; the guard below refuses such a retry anyway.
      const options: ConstructorParameters<typeof BullMQAdapter>[1] & { allowCompletedRetries: boolean } = {
        readOnlyMode: false,
        allowRetries: true,
        allowCompletedRetries: false,
        description,
      };
      return new BullMQAdapter(queue, options);
    }),
    serverAdapter: board,
    options: {
      uiConfig: {
        boardTitle: 'Steadfast',
        hideDocsLink: true,
        miscLinks: [
          { text: 'Alerts', url: '/admin/alerts' },
          { text: 'Log out', url: '/admin/logout' },
        ],
      },
    },
  });
  board.setBasePath(BOARD_PATH);

  /** After auth, before Bull Board: refuse what the console does not allow. */
  const guard: Hapi.Lifecycle.Method = async (request, h) => {
    const action = boardAction(request.method, request.route.path.slice(BOARD_PATH.length), request.params as Record<string, string>);
    if (action.kind === 'refused') {
      const admin = adminOf(request);
      logger.warn({ route: action.route, path: request.path, userId: admin.userId, via: admin.via, correlationId: correlationIdOf(request) }, 'admin board write refused');
      throw Boom.forbidden('the admin console is read-only except for retrying failed jobs and promoting delayed ones');
    }
    if (action.kind === 'retry') {
      // Bull Board also retries a completed job (running finished work again): failed only.
      const state = await byName.get(action.queue)?.getJobState(action.jobId);
      if (state !== undefined && state !== 'unknown' && state !== 'failed') {
        throw Boom.conflict(`only a failed job can be retried; this one is ${state}`);
      }
    }
    actions.set(request, action);
    return h.continue;
  };

  /** Once Bull Board answered: each retry or promote, done or not, goes to the audit trail. */
  const audited: Hapi.Lifecycle.Method = async (request, h) => {
    const action = actions.get(request);
    if (!action || !isChange(action)) return h.continue;
    const response = request.response;
    const status = 'isBoom' in response && response.isBoom ? response.output.statusCode : (response as Hapi.ResponseObject).statusCode;
    const source = 'source' in response ? (response.source as { retried?: unknown } | null) : null;
    const admin = adminOf(request);
    const target: AdminAuditEntry['target'] = { queue: action.queue, ...('jobId' in action ? { jobId: action.jobId } : {}) };
    await audit.record({
      action: action.kind,
      actor: { userId: admin.userId, username: admin.username },
      via: admin.via,
      target,
      outcome: { status, ...(typeof source?.retried === 'number' ? { retried: source.retried } : {}) },
      correlationId: correlationIdOf(request),
      address: request.info.remoteAddress,
    });
    return h.continue;
  };

  // Every Bull Board route (page, assets, API) gets the plugin options as its route options.
  await server.register(
    { plugin: board.registerPlugin(), options: { auth: ADMIN_AUTH, ext: { onPreHandler: { method: guard }, onPreResponse: { method: audited } } } },
    { routes: { prefix: BOARD_PATH } },
  );
}
