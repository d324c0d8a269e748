/**
 * What the burst's clients send, read back from the request itself: the burst counts the HTTP
 * requests `SteadfastClient` makes (through its `fetch` option), so it needs to tell a status
 * query from a write, and which draft a write carries. Pure, so it is tested on its own.
 */
import { z } from 'zod';

export type BurstRequest =
  | { kind: 'status'; /** Drafts asked about in this one request. */ drafts: number; waitSeconds: number }
  | { kind: 'submit'; draftId: string }
  | { kind: 'other' };

const body = z.object({ query: z.string(), variables: z.record(z.string(), z.unknown()).optional() });

/** The request a client sent: a status query (one draft or a batch), a write of a draft, or something else. */
export function describeRequest(init: { body?: unknown; headers?: unknown } | undefined): BurstRequest {
  if (typeof init?.body !== 'string') return { kind: 'other' };
  let parsed: z.infer<typeof body>;
  try {
    parsed = body.parse(JSON.parse(init.body));
  } catch {
    return { kind: 'other' };
  }
  const variables = parsed.variables ?? {};
  if (/\bfetchRecordStatus(?:es)?\s*\(/.test(parsed.query)) {
    const ids = variables['draftIds'];
    const wait = variables['waitSeconds'];
    return { kind: 'status', drafts: Array.isArray(ids) ? ids.length : 1, waitSeconds: typeof wait === 'number' ? wait : 0 };
  }
  if (/^\s*mutation\b/.test(parsed.query)) {
    const draftId = correlationId(init.headers) ?? draftIdOf(variables);
    if (draftId) return { kind: 'submit', draftId };
  }
  return { kind: 'other' };
}

/** The client names every write by its draftId in x-correlation-id. */
function correlationId(headers: unknown): string | undefined {
  if (headers instanceof Headers) return headers.get('x-correlation-id') ?? undefined;
  if (headers && typeof headers === 'object' && !Array.isArray(headers)) {
    const value = (headers as Record<string, unknown>)['x-correlation-id'];
    return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}

/** A write's draftId from its variables (`details.draftId`), should a header be missing. */
function draftIdOf(variables: Record<string, unknown>): string | undefined {
  const details = variables['details'];
  if (details && typeof details === 'object' && 'draftId' in details) {
    const id = details.draftId;
    return typeof id === 'string' ? id : undefined;
  }
  return undefined;
}

/** Every `every`-th draft of an office (its first, then each tenth after): those whose first answer is lost. */
export function resentDrafts(draftIds: readonly string[], every = 10): Set<string> {
  return new Set(draftIds.filter((_, i) => i % every === 0));
}
