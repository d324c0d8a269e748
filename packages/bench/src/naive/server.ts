/**
 * Baseline (c), what people build without a queue: a Hapi route that writes the four stores
 * inside the request, one record at a time, and answers when all are written. No auth, no
 * idempotency, no retries, no duplicate check: it is favoured, not handicapped.
 */
import Hapi from '@hapi/hapi';
import { isDuplicateKey, listenerWithBacklog } from '@steadfast/commons';
import type { DirectStores } from '../direct-writes.js';
import { writeOne } from '../direct-writes.js';

export async function createNaiveServer(stores: DirectStores, port: number): Promise<Hapi.Server> {
  // The services' accept queue (4096, not Node's 511): the same conditions as the system's gateway.
  const server = Hapi.server({ listener: listenerWithBacklog(), host: '127.0.0.1', port, routes: { payload: { maxBytes: 10 * 1024 * 1024 } } });
  server.route({
    method: 'POST',
    path: '/records',
    handler: async (request, h) => {
      const body = request.payload as { draftId?: unknown; details?: unknown };
      if (typeof body.draftId !== 'string' || typeof body.details !== 'object' || body.details === null) {
        return h.response({ error: 'draftId and details required' }).code(400);
      }
      try {
        const recordId = await writeOne(stores, body.draftId, body.details as Record<string, unknown>);
        return h.response({ recordId }).code(201);
      } catch (error) {
        if (isDuplicateKey(error)) return h.response({ error: 'already submitted' }).code(409);
        throw error;
      }
    },
  });
  server.route({ method: 'GET', path: '/health', handler: () => ({ ok: true }) });
  await server.start();
  return server;
}
