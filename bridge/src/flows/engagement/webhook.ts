import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type Request, type Router } from 'express';
import { BridgeError, errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { EngagementEventStore } from './event-store.js';
import type { CallbackIntakeResult, EngagementIntake } from './intake.js';

// The receiver of Responsys Event Notification callbacks (POST, HTTP Basic as the callback was
// registered with `authentication.type: "B"`). Responsys sends a JSON array of up to `batchSize`
// payloads; the verification call sends an empty array. The answer is given after the payloads are
// stored: 200 when every payload was taken (including repeats of a redelivered batch), 400 naming each
// payload that could not be read (the others are stored; what could not be read is kept for review,
// so nothing received is lost), 401 without the right credentials, 503 when the store is down (so
// that Responsys delivers the batch again).

export const CALLBACK_PATH = '/webhooks/responsys/events';
const REALM = 'Responsys Event Notifications';

export interface CallbackReceiverOptions {
  intake: EngagementIntake;
  /** where payloads that are not JSON at all are kept */
  rejects: () => EngagementEventStore;
  credentials: { username?: string; password?: string };
  bodyLimit: string;
  logger: Logger;
  /** after payloads were stored (e.g. start writing them to Salesforce) */
  onAccepted?(result: CallbackIntakeResult): void;
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Constant-time comparison of the presented Basic credentials. */
function basicCredentialsMatch(header: string | undefined, username: string, password: string): boolean {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return false;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const userOk = timingSafeEqual(digest(decoded.slice(0, colon)), digest(username));
  const passwordOk = timingSafeEqual(digest(decoded.slice(colon + 1)), digest(password));
  return userOk && passwordOk;
}

export function callbackReceiver(options: CallbackReceiverOptions): Router {
  const router = express.Router();
  const log = options.logger.child({ component: 'callback-receiver' });
  const { username, password } = options.credentials;

  router.post(
    '/',
    (request, response, next) => {
      if (!username || !password) {
        throw new BridgeError(
          'NOT_READY',
          'The Event Notification receiver is not configured: set RESPONSYS_CALLBACK_USERNAME and RESPONSYS_CALLBACK_PASSWORD',
        );
      }
      if (!basicCredentialsMatch(request.get('authorization'), username, password)) {
        log.warn({ ip: request.ip }, 'Event Notification callback refused: wrong or missing credentials');
        response.setHeader('WWW-Authenticate', `Basic realm="${REALM}", charset="UTF-8"`);
        response.status(401).json({
          error: { code: 'UNAUTHORIZED', message: 'HTTP Basic credentials of the callback are required' },
        });
        return;
      }
      next();
    },
    express.text({ type: () => true, limit: options.bodyLimit }),
    async (request: Request, response) => {
      const raw = typeof request.body === 'string' ? request.body : '';
      let body: unknown;
      try {
        body = raw.trim() === '' ? [] : JSON.parse(raw);
      } catch (error) {
        await keepUnreadable(options, raw, `the body is not valid JSON (${errorMessage(error)})`);
        throw new BridgeError('VALIDATION_FAILED', `The body is not valid JSON: ${errorMessage(error)}`);
      }
      const payloads = Array.isArray(body)
        ? body
        : body !== null && typeof body === 'object'
          ? [body]
          : undefined;
      if (!payloads) {
        await keepUnreadable(options, raw, 'the body is neither an array of payloads nor a payload');
        throw new BridgeError(
          'VALIDATION_FAILED',
          'The body must be a JSON array of Event Notification payloads',
        );
      }
      if (payloads.length === 0) {
        // Responsys verifies a callback URL with an empty batch.
        response.status(200).json({ received: 0, accepted: 0 });
        return;
      }
      let result: CallbackIntakeResult;
      try {
        result = await options.intake.ingestCallbackBatch(payloads);
      } catch (error) {
        log.error({ err: error }, `Event Notification batch not stored: ${errorMessage(error)}`);
        throw new BridgeError('STORE_UNAVAILABLE', 'The batch could not be stored; deliver it again later', {
          cause: error,
        });
      }
      log.info(
        {
          received: result.received,
          accepted: result.accepted,
          duplicates: result.duplicates,
          superseded: result.superseded,
          ignored: result.ignored.length,
          rejected: result.rejected.length,
          redelivery: result.redelivery,
        },
        'Event Notification batch received',
      );
      options.onAccepted?.(result);
      if (result.rejected.length > 0) {
        throw new BridgeError(
          'VALIDATION_FAILED',
          `${result.rejected.length} of ${result.received} payload(s) could not be read; the other ${
            result.received - result.rejected.length
          } were stored`,
          {
            details: {
              accepted: result.accepted,
              duplicates: result.duplicates,
              rejected: result.rejected,
              ignored: result.ignored,
            },
          },
        );
      }
      response.status(200).json({
        received: result.received,
        accepted: result.accepted,
        duplicates: result.duplicates + result.superseded,
        ignored: result.ignored,
      });
    },
  );
  router.all('/', (request) => {
    throw new BridgeError('NOT_FOUND', `${request.method} is not served here; Responsys POSTs callbacks`, {
      status: 405,
    });
  });
  return router;
}

async function keepUnreadable(options: CallbackReceiverOptions, raw: string, reason: string): Promise<void> {
  try {
    await options.rejects().reject([
      {
        origin: 'callback',
        originRef: `unreadable ${createHash('sha256').update(raw).digest('hex').slice(0, 24)}`,
        reason,
        payload: raw,
      },
    ]);
  } catch (error) {
    options.logger.error(
      { err: error },
      `could not keep an unreadable callback body: ${errorMessage(error)}`,
    );
  }
}
