import type { NotificationOptions } from '../options.js';
import type { EngagementEvent, EngagementType } from '../engagement/events.js';

// Event Notification API: callbacks (with HTTP Basic credentials), their verification, subscriptions
// to event types, and delivery of batched payloads to the callback URL. Only the email types Oracle
// lists exist: there is no EMAIL_OPENED, EMAIL_SENT or conversion notification.

export const emailNotificationTypes = [
  'EMAIL_BOUNCED',
  'EMAIL_CLICKED',
  'EMAIL_COMPLAINT',
  'EMAIL_FAILED',
  'EMAIL_OPTIN',
  'EMAIL_OPTOUT',
  'EMAIL_SKIPPED',
] as const;

/** Every type `GET /notifications/eventList` reports (other channels exist but never fire here). */
export const notificationEventList = [
  ...emailNotificationTypes,
  'SMS_FAILED',
  'SMS_SKIPPED',
  'SMS_MO_FW_FAILED',
  'SMS_RECEIPT',
  'SMS_OPT_IN',
  'SMS_OPT_OUT',
  'MMS_SKIPPED',
  'MMS_FAILED',
  'PUSH_SKIPPED',
  'PUSH_FAILED',
  'PUSH_BOUNCED',
  'PUSH_OPT_IN',
  'PUSH_OPT_OUT',
  'WEBPUSH_FAILED',
  'WEBPUSH_SKIPPED',
  'WEBPUSH_BOUNCED',
  'WEBPUSH_CLOSED',
  'WEBPUSH_OPTIN',
  'WEBPUSH_OPTOUT',
];

const notificationTypeByEngagement: Partial<Record<EngagementType, string>> = {
  bounced: 'EMAIL_BOUNCED',
  clicked: 'EMAIL_CLICKED',
  complained: 'EMAIL_COMPLAINT',
  failed: 'EMAIL_FAILED',
  opted_in: 'EMAIL_OPTIN',
  opted_out: 'EMAIL_OPTOUT',
  skipped: 'EMAIL_SKIPPED',
};

export interface Callback {
  name: string;
  url: string;
  backupUrl: string | null;
  batchSize: number;
  authentication: { type: 'B'; data: { userName: string; password: string } };
  verified: boolean;
}

export interface Subscription {
  name: string;
  callBackName: string;
  eventTypes: string[];
  filters: Array<{ eventTypes: string[]; values: { campaignNames?: string[] } }>;
}

export type NotificationPayload = Record<string, unknown>;

export interface DeliveryAttempt {
  callbackName: string;
  url: string;
  attempt: number;
  events: number;
  status: number | null;
  error: string | null;
  ok: boolean;
  at: string;
}

type Prop = { name: string; value: string };

/** `prop` is an object when there is one property and an array when there are several (documented quirk). */
function props(entries: Prop[]): { props: { prop: Prop | Prop[] } } {
  return { props: { prop: entries.length === 1 ? entries[0]! : entries } };
}

/** The documented payload for one event; ids are JSON strings, the type sits in `failureType`. */
export function notificationPayload(event: EngagementEvent): NotificationPayload | undefined {
  const failureType = notificationTypeByEngagement[event.type];
  if (!failureType) return undefined;
  const campaign = event.campaign;
  const withCustomer = (payload: NotificationPayload): NotificationPayload => {
    if (event.customerId === null) delete payload.customerId;
    return payload;
  };
  const extraProps = Object.entries(event.notificationProps).map(([name, value]) => ({ name, value }));
  const emailProp = { name: 'EMAIL_ADDRESS_', value: event.email ?? '' };
  switch (event.type) {
    case 'bounced':
    case 'skipped':
      return withCustomer({
        campaignId: String(campaign?.campaignId ?? ''),
        riid: String(event.riid),
        failureReason: event.type === 'bounced' ? event.bounce?.reason : event.reason,
        customerId: event.customerId,
        recipient: event.email,
        failureType,
        channelType: 'Email',
        campaignName: campaign?.campaignName ?? '',
      });
    case 'failed':
      return withCustomer({
        campaignId: String(campaign?.campaignId ?? ''),
        riid: String(event.riid),
        failureReason: event.reason,
        customerId: event.customerId,
        recipient: event.email,
        failureType,
        channelType: 'Email',
        campaignName: campaign?.campaignName ?? '',
        optionalData: props([emailProp, { name: 'EMAIL_FORMAT_', value: event.emailFormat }, ...extraProps]),
      });
    case 'clicked':
      return withCustomer({
        campaignId: String(campaign?.campaignId ?? ''),
        riid: String(event.riid),
        customerId: event.customerId,
        failureType,
        channelType: 'Email',
        campaignName: campaign?.campaignName ?? '',
        optionalData: props([emailProp, ...extraProps]),
      });
    case 'complained':
      return withCustomer({
        campaignId: String(campaign?.campaignId ?? ''),
        riid: String(event.riid),
        customerId: event.customerId,
        failureType,
        channelType: 'Email',
        campaignName: campaign?.campaignName ?? '',
        optionalData: null,
      });
    default:
      return withCustomer({
        riid: String(event.riid),
        customerId: event.customerId,
        failureType,
        channelType: 'Email',
        optionalData: null,
      });
  }
}

interface ResolvedNotificationOptions {
  attempts: number;
  retryDelayMs: number;
  batchWindowMs: number;
  timeoutMs: number;
}

export function resolveNotificationOptions(options: NotificationOptions = {}): ResolvedNotificationOptions {
  return {
    attempts: options.attempts ?? 3,
    retryDelayMs: options.retryDelayMs ?? 1000,
    batchWindowMs: options.batchWindowMs ?? 50,
    timeoutMs: options.timeoutMs ?? 10_000,
  };
}

export class NotificationHub {
  readonly callbacks = new Map<string, Callback>();
  readonly subscriptions = new Map<string, Subscription>();
  readonly deliveries: DeliveryAttempt[] = [];
  /** Batches that exhausted every attempt on the URL and the backup URL. */
  readonly undelivered: Array<{ callbackName: string; payloads: NotificationPayload[] }> = [];
  private readonly queues = new Map<string, NotificationPayload[]>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly sending = new Map<string, Promise<void>>();
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private closed = false;

  constructor(
    private readonly options: ResolvedNotificationOptions,
    private readonly now: () => number,
  ) {}

  /** Queues the event for every verified callback subscribed to its type (once per callback). */
  publish(event: EngagementEvent): void {
    const payload = notificationPayload(event);
    if (!payload) return;
    const type = payload.failureType as string;
    const campaignName = event.campaign?.campaignName;
    const targets = new Set<string>();
    for (const subscription of this.subscriptions.values()) {
      if (!subscription.eventTypes.includes(type)) continue;
      const filters = subscription.filters.filter(
        (f) => f.eventTypes.includes(type) && f.values.campaignNames,
      );
      if (
        filters.length > 0 &&
        !filters.some((f) => campaignName && f.values.campaignNames!.includes(campaignName))
      ) {
        continue;
      }
      const callback = this.callbacks.get(subscription.callBackName);
      if (callback?.verified) targets.add(callback.name);
    }
    for (const name of targets) this.enqueue(name, payload);
  }

  /** Waits until every queued payload has been delivered or given up on. */
  async flush(): Promise<void> {
    for (;;) {
      for (const [name, timer] of this.timers) {
        clearTimeout(timer);
        this.timers.delete(name);
        this.startSending(name);
      }
      const inFlight = [...this.sending.values()];
      if (inFlight.length === 0) return;
      await Promise.all(inFlight);
    }
  }

  /** Sends an empty batch with the callback's credentials; any 2xx verifies it. */
  async verify(callback: Callback): Promise<boolean> {
    const result = await this.post(callback, callback.url, []);
    callback.verified = result.ok;
    return result.ok;
  }

  reset(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.queues.clear();
    this.callbacks.clear();
    this.subscriptions.clear();
    this.deliveries.length = 0;
    this.undelivered.length = 0;
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const sleeper of this.sleepers) {
      clearTimeout(sleeper.timer);
      sleeper.resolve();
    }
    this.sleepers.clear();
  }

  private enqueue(callbackName: string, payload: NotificationPayload): void {
    let queue = this.queues.get(callbackName);
    if (!queue) this.queues.set(callbackName, (queue = []));
    queue.push(payload);
    if (this.sending.has(callbackName) || this.timers.has(callbackName) || this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(callbackName);
      this.startSending(callbackName);
    }, this.options.batchWindowMs);
    timer.unref();
    this.timers.set(callbackName, timer);
  }

  private startSending(callbackName: string): void {
    if (this.sending.has(callbackName)) return;
    const run = this.drain(callbackName).finally(() => {
      this.sending.delete(callbackName);
      // Payloads queued while the last batch was finishing start a new round.
      const waiting = this.queues.get(callbackName)?.length ?? 0;
      if (waiting > 0 && this.callbacks.has(callbackName) && !this.closed) this.startSending(callbackName);
    });
    this.sending.set(callbackName, run);
  }

  /** Sends the queue in order, one batch at a time, so a slow receiver sees events in sequence. */
  private async drain(callbackName: string): Promise<void> {
    for (;;) {
      const callback = this.callbacks.get(callbackName);
      const queue = this.queues.get(callbackName);
      if (!callback || !queue || queue.length === 0 || this.closed) return;
      const batch = { payloads: queue.splice(0, callback.batchSize) };
      const urls = [callback.url, ...(callback.backupUrl ? [callback.backupUrl] : [])];
      let delivered = false;
      for (const url of urls) {
        for (let attempt = 1; attempt <= this.options.attempts && !delivered && !this.closed; attempt++) {
          if (attempt > 1) await this.sleep(this.options.retryDelayMs * 2 ** (attempt - 2));
          const result = await this.post(callback, url, batch.payloads);
          this.deliveries.push({
            callbackName,
            url,
            attempt,
            events: batch.payloads.length,
            status: result.status,
            error: result.error,
            ok: result.ok,
            at: new Date(this.now()).toISOString(),
          });
          delivered = result.ok;
        }
        if (delivered) break;
      }
      if (!delivered) this.undelivered.push({ callbackName, payloads: batch.payloads });
    }
  }

  private async post(
    callback: Callback,
    url: string,
    payloads: NotificationPayload[],
  ): Promise<{ ok: boolean; status: number | null; error: string | null }> {
    const { userName, password } = callback.authentication.data;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Authorization: `Basic ${Buffer.from(`${userName}:${password}`).toString('base64')}`,
        },
        body: JSON.stringify(payloads),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      return {
        ok: response.ok,
        status: response.status,
        error: response.ok ? null : `HTTP ${response.status}`,
      };
    } catch (error) {
      return { ok: false, status: null, error: error instanceof Error ? error.message : String(error) };
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const sleeper = {
        timer: setTimeout(() => {
          this.sleepers.delete(sleeper);
          resolve();
        }, ms),
        resolve,
      };
      sleeper.timer.unref();
      this.sleepers.add(sleeper);
    });
  }
}
