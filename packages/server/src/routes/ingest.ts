import { type Batch, type BatchResponse, batchSchema, JWT_ERROR_STATUS, LIMITS } from '@signet/protocol';
import { tokenFromAuthorization, type VerifyResult } from '@signet/verifier';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppRegistry, LoadedApp } from '../auth/app-registry.ts';
import { prepareEvents, schemaFailure } from '../batch-validation.ts';
import { appNotFound, jwtErrorBody } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import type { RateLimits } from '../rate-limits.ts';
import type { FailureToKeep, IngestionWriter, OutcomeToCount } from '../store/ingestion-writer.ts';

export interface IngestDeps {
  store: IngestionWriter;
  registry: AppRegistry;
  metrics: Metrics;
  rateLimits: RateLimits;
  now: () => number;
}

/**
 * `POST /v1/apps/:appId/batch` (SPEC §3–§4): validate, check the token per the app's mode, store.
 * Registered under the prefix `/v1/apps`, with the ingestion CORS (ingest-cors.ts).
 */
export async function ingestRoutes(app: FastifyInstance, deps: IngestDeps): Promise<void> {
  app.post<{ Params: { appId: string }; Body: Batch }>(
    '/:appId/batch',
    {
      bodyLimit: LIMITS.maxBodyBytes,
      attachValidation: true,
      // Only the client's limit here: the app's is counted once the batch is known good (below).
      onRequest: (request) => deps.rateLimits.checkClient(request),
      schema: {
        summary: 'Ingest one batch of events for one user',
        tags: ['ingestion'],
        params: { type: 'object', properties: { appId: { type: 'string' } }, required: ['appId'] },
        body: batchSchema,
      },
    },
    async (request, reply) => {
      const loaded = await deps.registry.get(request.params.appId);
      if (!loaded) throw appNotFound();
      if (request.validationError) throw schemaFailure(request.validationError.validation);
      const batch = request.body;
      const events = prepareEvents(batch);
      const receivedAt = deps.now();
      deps.metrics.batchEvents.observe(events.length);

      const userId = 'id' in batch.user ? batch.user.id : null;
      const anonymousId = 'anonymousId' in batch.user ? batch.user.anonymousId : null;
      const mode = loaded.app.jwt.mode;
      const sdk = { sdkName: batch.sdk?.name ?? null, sdkVersion: batch.sdk?.version ?? null };

      let result: VerifyResult | null = null;
      if (mode !== 'disabled' && userId !== null) {
        result = await verify(request, loaded, userId, receivedAt, deps.metrics);
      }
      const outcome = outcomeOf(mode, userId, result);
      deps.metrics.authOutcomes.inc({
        outcome: outcome.outcome,
        code: outcome.code ?? '',
        reason: outcome.reason ?? '',
      });

      const failure: FailureToKeep | null =
        result && !result.ok
          ? {
              mode,
              code: result.code,
              reason: result.reason,
              kid: result.kid,
              subject: result.subject,
              userId,
              ...sdk,
            }
          : null;

      if (result && !result.ok && mode === 'required') {
        await deps.store.recordRejection({
          appId: loaded.app.id,
          at: receivedAt,
          events: events.length,
          outcome,
          failure: failure as FailureToKeep,
        });
        return reply
          .code(JWT_ERROR_STATUS)
          .header('www-authenticate', `Bearer error="invalid_token", error_description="${result.code}"`)
          .send(jwtErrorBody(result.code, result.reason, result.message));
      }

      // Counted only now, after validation and the token check (a 200 with authWarning is
      // stored, so it counts): refused junk must never lock the app's real users out.
      await deps.rateLimits.checkApp(request);
      const stored = await deps.store.storeBatch({
        appId: loaded.app.id,
        batchId: batch.batchId,
        receivedAt,
        userId,
        anonymousId,
        ...sdk,
        verified: result === null ? null : result.ok,
        events,
        outcome,
        // Use counts belong to registered keys; a provider's keys are not the app's to count.
        keyUsed: result?.ok && result.keySource === 'registered' ? result.kid : null,
        failure,
      });
      const body: BatchResponse = { accepted: stored.accepted, duplicates: stored.duplicates };
      if (result && !result.ok) body.authWarning = { code: result.code, reason: result.reason };
      return body;
    },
  );
}

async function verify(
  request: FastifyRequest,
  loaded: LoadedApp,
  userId: string,
  now: number,
  metrics: Metrics,
): Promise<VerifyResult> {
  const bearer = tokenFromAuthorization(request.headers.authorization);
  if (!('token' in bearer)) return bearer;
  const started = process.hrtime.bigint();
  const result = await loaded.verifier.verify(bearer.token, { expectedSubject: userId, now: new Date(now) });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  metrics.verificationSeconds.observe({ cached: String(result.ok && result.cached) }, seconds);
  return result;
}

function outcomeOf(mode: string, userId: string | null, result: VerifyResult | null): OutcomeToCount {
  if (userId === null) return { outcome: 'anonymous', code: null, reason: null };
  if (result === null) return { outcome: 'skipped', code: null, reason: null };
  if (result.ok) return { outcome: 'verified', code: null, reason: null };
  return {
    outcome: mode === 'required' ? 'rejected' : 'unverified',
    code: result.code,
    reason: result.reason,
  };
}
