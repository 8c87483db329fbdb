import { Router, type Request } from 'express';
import type { ResponsysCore } from '../core.js';
import { apiRoute } from '../http/route.js';
import { errors } from '../http/wire.js';
import { notificationEventList, type Callback } from './hub.js';

// Event Notification management: create a callback, verify it (the emulator calls the URL), subscribe
// it to event types (note the capital B in `callBackName`), and list the event types.

const BASE = '/rest/api/v1.3/notifications';
const MAX_BATCH_SIZE = 200;

function body(req: Request): Record<string, unknown> {
  const value: unknown = req.body;
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw errors.invalidParameter('Request body is empty');
  return value as Record<string, unknown>;
}

function httpUrl(value: unknown, name: string): string {
  if (typeof value !== 'string') throw errors.invalidParameter(`${name} is required`);
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
    return value;
  } catch {
    throw errors.invalidParameter(`${name} ${value} is not a valid URL`);
  }
}

function describeCallback(callback: Callback): Record<string, unknown> {
  return {
    name: callback.name,
    url: callback.url,
    ...(callback.backupUrl ? { backupUrl: callback.backupUrl } : {}),
    batchSize: callback.batchSize,
    authentication: { type: 'B', data: { userName: callback.authentication.data.userName } },
  };
}

export function notificationRoutes(core: ResponsysCore): Router {
  const router = Router();
  const hub = core.notifications;

  router.post(
    `${BASE}/callbacks`,
    apiRoute(core, 'token', ({ req }) => {
      const input = body(req);
      const name = input.name;
      if (typeof name !== 'string' || name === '') throw errors.invalidParameter('name is required');
      if (hub.callbacks.has(name))
        throw errors.invalidParameter(`Callback with name [${name}] already exists`);
      const url = httpUrl(input.url, 'url');
      const backupUrl =
        input.backupUrl === undefined || input.backupUrl === null
          ? null
          : httpUrl(input.backupUrl, 'backupUrl');
      if (backupUrl === url) throw errors.invalidParameter('backupUrl cannot be the same location as url');
      const batchSize = input.batchSize;
      if (
        typeof batchSize !== 'number' ||
        !Number.isInteger(batchSize) ||
        batchSize < 1 ||
        batchSize > MAX_BATCH_SIZE
      ) {
        throw errors.invalidParameter(`batchSize must be a positive integer of at most ${MAX_BATCH_SIZE}`);
      }
      const auth = input.authentication as
        { type?: unknown; data?: { userName?: unknown; password?: unknown } } | undefined;
      if (
        auth?.type !== 'B' ||
        typeof auth.data?.userName !== 'string' ||
        typeof auth.data.password !== 'string'
      ) {
        throw errors.invalidParameter(
          'authentication must be {"type":"B","data":{"userName":..,"password":..}}',
        );
      }
      const callback: Callback = {
        name,
        url,
        backupUrl,
        batchSize,
        authentication: { type: 'B', data: { userName: auth.data.userName, password: auth.data.password } },
        verified: false,
      };
      hub.callbacks.set(name, callback);
      return { body: describeCallback(callback) };
    }),
  );

  const verifyOrRetrieve = apiRoute(core, 'token', async ({ req }) => {
    const name = String(req.params.callbackName);
    const callback = hub.callbacks.get(name);
    if (!callback) throw errors.invalidParameter(`Callback with name [${name}] does not exist`);
    const verify = req.path.endsWith('/actions/verify') || req.query.action === 'verify';
    if (!verify) return { body: { ...describeCallback(callback), verified: callback.verified } };
    if (!(await hub.verify(callback)))
      throw errors.invalidParameter(`Could not connect to callback url [${callback.url} ]`);
    return { body: { status: `Successfully verified [${name}] ` } };
  });
  router.get(`${BASE}/callbacks/:callbackName`, verifyOrRetrieve);
  router.get(`${BASE}/callbacks/:callbackName/actions/verify`, verifyOrRetrieve);

  router.post(
    `${BASE}/subscriptions`,
    apiRoute(core, 'token', ({ req }) => {
      const input = body(req);
      const name = input.name;
      if (typeof name !== 'string' || name === '') throw errors.invalidParameter('name is required');
      if (hub.subscriptions.has(name))
        throw errors.invalidParameter(`Subscription with name [${name}] already exists`);
      const callBackName = input.callBackName;
      if (typeof callBackName !== 'string' || callBackName === '') {
        throw errors.invalidParameter('callBackName is required');
      }
      const callback = hub.callbacks.get(callBackName);
      if (!callback) throw errors.invalidParameter(`Callback with name [${callBackName}] does not exist`);
      if (!callback.verified) throw errors.invalidParameter(`Callback [${callBackName}] is not verified`);
      const eventTypes = input.eventTypes;
      if (!Array.isArray(eventTypes) || eventTypes.length === 0)
        throw errors.invalidParameter('eventTypes is required');
      const invalid = eventTypes.filter((t) => typeof t !== 'string' || !notificationEventList.includes(t));
      if (invalid.length > 0) throw errors.invalidParameter(`Invalid event type(s) [${invalid.join(', ')}]`);
      const filters = input.filters ?? [];
      if (!Array.isArray(filters)) throw errors.invalidParameter('filters must be an array');
      const parsedFilters = filters.map((f) => {
        const filter = (f ?? {}) as { eventTypes?: unknown; values?: { campaignNames?: unknown } };
        const types = Array.isArray(filter.eventTypes)
          ? filter.eventTypes.map(String)
          : [...(eventTypes as string[])];
        const names = filter.values?.campaignNames;
        if (names !== undefined && !Array.isArray(names))
          throw errors.invalidParameter('campaignNames must be an array');
        return { eventTypes: types, values: names ? { campaignNames: names.map(String) } : {} };
      });
      hub.subscriptions.set(name, {
        name,
        callBackName,
        eventTypes: eventTypes as string[],
        filters: parsedFilters,
      });
      return { body: { name, callBackName, eventTypes, filters } };
    }),
  );

  router.get(
    `${BASE}/eventList`,
    apiRoute(core, 'token', () => ({ body: notificationEventList })),
  );

  return router;
}
