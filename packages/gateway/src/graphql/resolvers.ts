/**
 * Resolvers: check the caller, validate the input with the commons schemas (the GraphQL types
 * only say what is required; the rules live in zod), then hand it to the submission service.
 */
import { validateInput, type EventType, type Operation, type RecordInputSchemas } from '@steadfast/commons';
import { z } from 'zod';
import { badInput, unauthenticated } from '../errors.js';
import { MAX_WAIT_SECONDS, type LongPoll } from '../long-poll.js';
import type { RecordStatus, StatusReader } from '../status.js';
import type { Accepted, Submissions, SubmittingUser } from '../submissions.js';
import type { QueueDepthGuard, UserRateLimits } from '../edge/user-limits.js';
import { DEFAULT_CANDIDATES, First, readCandidates, requireReviewer, type DuplicateCandidates } from './duplicates.js';

export interface GatewayContext {
  /** Absent when the request carried no valid token; `why` says what was wrong. */
  user?: SubmittingUser;
  authError?: string;
  correlationId: string;
  /** Aborts when the client goes away before its answer: a long-poll stops waiting. */
  signal?: AbortSignal;
}

export interface ResolverDeps {
  submissions: Submissions;
  status: StatusReader;
  longPoll: LongPoll;
  schemas: RecordInputSchemas;
  rateLimits: UserRateLimits;
  queueDepth: QueueDepthGuard;
}

/** The most drafts one fetchRecordStatuses may ask about. */
export const MAX_STATUS_BATCH = 100;

function requireUser(ctx: GatewayContext): SubmittingUser {
  if (!ctx.user) throw unauthenticated(ctx.authError ?? 'send Authorization: Bearer <token> (POST /auth/authenticate)');
  return ctx.user;
}

function validated<S extends z.ZodType>(schema: S, value: unknown, root: string): z.infer<S> {
  const result = validateInput(schema, value, root);
  if (!result.ok) throw badInput(result.issues);
  return result.value;
}

const RecordId = z.guid({ error: 'must be a UUID' });

const idArg = (id: unknown, field = 'id'): string => validated(RecordId, id, field).toLowerCase();

const waitRule = `must be 0 (answer at once) to ${MAX_WAIT_SECONDS} seconds`;
const WaitSeconds = z.number().int().min(0, { error: waitRule }).max(MAX_WAIT_SECONDS, { error: waitRule });
const DraftIds = z
  .array(z.unknown())
  .min(1, { error: 'must name at least one draftId' })
  .max(MAX_STATUS_BATCH, { error: `must name at most ${MAX_STATUS_BATCH} draftIds` });

const waitOf = (value: unknown): number => (value === undefined || value === null ? 0 : validated(WaitSeconds, value, 'waitSeconds'));

interface RegistrationDetails {
  registration: { draftId: string };
}

export function createResolvers(deps: ResolverDeps) {
  const { schemas, submissions, rateLimits, queueDepth } = deps;

  /** Every write: the caller, then their rate, then room in the queue, before the input is even validated. */
  const admitSubmission = async (ctx: GatewayContext): Promise<SubmittingUser> => {
    const user = requireUser(ctx);
    await rateLimits.consume('submissions', user.userId);
    await queueDepth.admit();
    return user;
  };

  /**
   * A status read's count goes to Redis at once, and the read goes beside it (same connection,
   * same turn of the event loop: one round trip for both); the read waits for the count before
   * anything else, and a refusal (RATE_LIMITED) is what the request gets. Input is validated
   * meanwhile, as before after the count: a request with bad input is counted too.
   */
  const countStatusRead = (ctx: GatewayContext): { user: SubmittingUser; admitted: Promise<void> } => {
    const user = requireUser(ctx);
    const admitted = rateLimits.consume('statusReads', user.userId);
    admitted.catch(() => undefined);
    return { user, admitted };
  };

  const admitStatusRead = async (ctx: GatewayContext): Promise<SubmittingUser> => {
    const { user, admitted } = countStatusRead(ctx);
    await admitted;
    return user;
  };

  const register =
    (event: EventType, schema: z.ZodType<RegistrationDetails>) =>
    async (_: unknown, args: { details: unknown }, ctx: GatewayContext): Promise<Accepted> => {
      const user = await admitSubmission(ctx);
      const details = validated(schema, args.details, 'details');
      return submissions.submit({
        operation: 'create',
        event,
        draftId: details.registration.draftId,
        details: details as unknown as Record<string, unknown>,
        user,
        correlationId: ctx.correlationId,
      });
    };

  const correct =
    (event: EventType, schema: z.ZodType<RegistrationDetails>) =>
    async (_: unknown, args: { id: unknown; details: unknown }, ctx: GatewayContext): Promise<string> => {
      const user = await admitSubmission(ctx);
      const recordId = idArg(args.id);
      const details = validated(schema, args.details, 'details');
      const accepted = await submissions.submit({
        operation: 'correct' satisfies Operation,
        event,
        recordId,
        draftId: details.registration.draftId,
        details: details as unknown as Record<string, unknown>,
        user,
        correlationId: ctx.correlationId,
      });
      return accepted.draftId;
    };

  return {
    Mutation: {
      createBirthRegistration: register('birth', schemas.BirthRegistrationInput),
      createDeathRegistration: register('death', schemas.DeathRegistrationInput),
      createMarriageRegistration: register('marriage', schemas.MarriageRegistrationInput),
      createBirthRegistrationCorrection: correct('birth', schemas.BirthRegistrationInput),
      createDeathRegistrationCorrection: correct('death', schemas.DeathRegistrationInput),
      createMarriageRegistrationCorrection: correct('marriage', schemas.MarriageRegistrationInput),
      requestRegistrationCorrection: async (
        _: unknown,
        args: { id: unknown; details: unknown },
        ctx: GatewayContext,
      ): Promise<string> => {
        const user = await admitSubmission(ctx);
        const recordId = idArg(args.id);
        const details = validated(schemas.CorrectionInput, args.details, 'details');
        const accepted = await submissions.submit({
          operation: 'request-correction',
          recordId,
          draftId: details.draftId,
          details,
          user,
          correlationId: ctx.correlationId,
        });
        return accepted.draftId;
      },
    },
    Query: {
      fetchRecordStatus: async (
        _: unknown,
        args: { draftId: unknown; waitSeconds?: unknown },
        ctx: GatewayContext,
      ): Promise<RecordStatus> => {
        const { user, admitted } = countStatusRead(ctx);
        const draftId = idArg(args.draftId, 'draftId');
        const waitSeconds = waitOf(args.waitSeconds);
        if (waitSeconds === 0) return deps.status.status(draftId, user, admitted);
        return deps.longPoll.status(draftId, waitSeconds * 1_000, user, ctx.signal, admitted);
      },
      fetchRecordStatuses: async (
        _: unknown,
        args: { draftIds: unknown; waitSeconds?: unknown },
        ctx: GatewayContext,
      ): Promise<RecordStatus[]> => {
        const { user, admitted } = countStatusRead(ctx);
        const draftIds = validated(DraftIds, args.draftIds, 'draftIds').map((id, i) => idArg(id, `draftIds.${i}`));
        const waitSeconds = waitOf(args.waitSeconds);
        // Several drafts' reads wait for the count: refused, the request costs Redis its count
        // alone, not a job read per draft (up to 100). One draft's read goes out beside it.
        if (draftIds.length > 1) await admitted;
        if (waitSeconds === 0) return Promise.all(draftIds.map((draftId) => deps.status.status(draftId, user, admitted)));
        return deps.longPoll.statuses(draftIds, waitSeconds * 1_000, user, ctx.signal, admitted);
      },
      fetchDuplicateCandidates: async (_: unknown, args: { recordId: unknown; first?: unknown }, ctx: GatewayContext): Promise<DuplicateCandidates> => {
        requireReviewer(await admitStatusRead(ctx));
        const recordId = idArg(args.recordId, 'recordId');
        const first = args.first === undefined || args.first === null ? DEFAULT_CANDIDATES : validated(First, args.first, 'first');
        return readCandidates(deps.status.db, recordId, first);
      },
    },
    RecordStatus: {
      __resolveType: (status: RecordStatus) => status.__typename,
    },
  };
}
