import type { AdminService, BridgeStatus } from '../admin/admin-service.js';
import type { RecordHistory } from '../admin/record-history.js';
import { BridgeError, isBridgeError } from '../shared/errors.js';
import type { DeadLetter, DeadLetterFilter } from '../store/dead-letters.js';

// The CLI answers operator questions either straight from the store (the default) or through a
// running bridge's admin API (--url / BRIDGE_URL, or automatically when the embedded store is held by
// a running bridge). Both paths give the same data; HTTP answers carry dates as ISO strings.

type Jsonified<T> = T extends Date
  ? string | Date
  : T extends Array<infer Item>
    ? Array<Jsonified<Item>>
    : T extends object
      ? { [Key in keyof T]: Jsonified<T[Key]> }
      : T;

export interface AdminAccess {
  readonly via: string;
  status(): Promise<Jsonified<BridgeStatus>>;
  history(idOrEmail: string): Promise<Jsonified<RecordHistory>>;
  listDeadLetters(filter: DeadLetterFilter): Promise<Array<Jsonified<DeadLetter>>>;
  retryDeadLetter(id: number): Promise<Jsonified<DeadLetter>>;
  retryDeadLetters(selection: { ids?: number[]; flow?: string }): Promise<number>;
  discardDeadLetter(id: number): Promise<Jsonified<DeadLetter>>;
  runTask(name: string, data: object): Promise<{ jobId: string | null; alreadyQueued: boolean }>;
  close(): Promise<void>;
}

export function directAccess(admin: AdminService, close: () => Promise<void>, by: string): AdminAccess {
  return {
    via: 'the store',
    status: () => admin.status(),
    history: (idOrEmail) => admin.history(idOrEmail),
    listDeadLetters: (filter) => admin.listDeadLetters(filter),
    retryDeadLetter: (id) => admin.retryDeadLetter(id, by),
    retryDeadLetters: (selection) => admin.retryDeadLetters(selection, by),
    discardDeadLetter: (id) => admin.discardDeadLetter(id, by),
    runTask: (name, data) => admin.runTask(name, data),
    close,
  };
}

/** Calls a running bridge's admin API; its error envelope becomes the BridgeError it describes. */
export type AdminApiCall = <T>(method: string, path: string, body?: unknown) => Promise<T>;

export function adminApiCall(
  base: string,
  token: string,
  options: { operator?: string; timeoutMs: number },
): AdminApiCall {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    let response: Response;
    try {
      response = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(options.operator ? { 'x-bridge-operator': options.operator } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (error) {
      throw new BridgeError(
        'UPSTREAM_FAILED',
        `Could not reach the bridge at ${base}: ${(error as Error).message}`,
      );
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      throw new BridgeError(
        'UPSTREAM_FAILED',
        `The bridge at ${base} answered ${response.status} with a non-JSON body`,
      );
    }
    if (!response.ok) {
      const error = (json as { error?: { code?: string; message?: string; details?: unknown } }).error;
      const code = (error?.code ?? 'UPSTREAM_FAILED') as BridgeError['code'];
      throw new BridgeError(code, error?.message ?? `The bridge answered ${response.status}`, {
        status: response.status,
        details: error?.details,
      });
    }
    return json as T;
  };
}

export function httpAccess(baseUrl: string, token: string, operator: string): AdminAccess {
  const base = baseUrl.replace(/\/+$/, '');
  const call = adminApiCall(base, token, { operator, timeoutMs: 30_000 });
  return {
    via: base,
    status: () => call('GET', '/status'),
    history: (idOrEmail) => call('GET', `/records/${encodeURIComponent(idOrEmail)}/history`),
    async listDeadLetters(filter) {
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries(filter))
        if (value !== undefined) query.set(key, String(value));
      return (await call<{ deadLetters: Array<Jsonified<DeadLetter>> }>('GET', `/dead-letters?${query}`))
        .deadLetters;
    },
    async retryDeadLetter(id) {
      return (await call<{ deadLetter: Jsonified<DeadLetter> }>('POST', `/dead-letters/${id}/retry`, {}))
        .deadLetter;
    },
    async retryDeadLetters(selection) {
      const body = selection.ids
        ? { ids: selection.ids }
        : selection.flow
          ? { flow: selection.flow }
          : { all: true };
      return (await call<{ retried: number }>('POST', '/dead-letters/retry', body)).retried;
    },
    async discardDeadLetter(id) {
      return (await call<{ deadLetter: Jsonified<DeadLetter> }>('POST', `/dead-letters/${id}/discard`, {}))
        .deadLetter;
    },
    async runTask(name, data) {
      try {
        const result = await call<{ jobId: string }>('POST', `/tasks/${encodeURIComponent(name)}/run`, {
          data,
        });
        return { jobId: result.jobId, alreadyQueued: false };
      } catch (error) {
        if (isBridgeError(error) && error.status === 409) return { jobId: null, alreadyQueued: true };
        throw error;
      }
    },
    close: async () => undefined,
  };
}
