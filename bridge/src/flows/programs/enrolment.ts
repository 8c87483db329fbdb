import type { CustomEventOutcome, CustomEventRecipient } from '../../responsys/types.js';
import type { EnrollmentCandidate, ReservationResult } from '../../store/program-enrollments.js';
import type { ProgramRoute } from './routes.js';

// Entering people into Responsys programs, with the eligibility rules every route shares:
// - never someone who opted out of email;
// - never twice for one Salesforce change (a replayed or retried event finds its earlier entry);
// - never again within the route's cooldown (counted per recipient and program, across Leads and
//   Contacts that share one Responsys recipient);
// - the entry is reserved in the store before the custom event is sent and confirmed after Responsys
//   accepted it, so two bridge processes cannot both enrol one person, and a failed call frees it.
// Every decision comes back with a reason an operator understands.

export interface EnrolmentRequest {
  /** groups results for the caller (e.g. the work item key) */
  key: string;
  route: ProgramRoute;
  riid: string | null;
  salesforceId: string;
  email?: string | null;
  optedOut: boolean;
  /** identifies the Salesforce change asking for the entry (dedupes replays and retries) */
  changeKey: string;
  correlationId: string;
  /** data for the program (Responsys optionalData) */
  optionalData?: Record<string, string | number | null | undefined>;
}

export type EnrolmentResult = EnrolmentRequest &
  (
    | { status: 'entered'; reason: string }
    | {
        status: 'skipped';
        code: 'OPTED_OUT' | 'COOLDOWN' | 'ALREADY_ENTERED' | 'NOT_IN_RESPONSYS';
        reason: string;
      }
    | { status: 'failed'; code: string; reason: string; retryable: boolean; retryAfterMs?: number }
  );

export interface EnrolmentStore {
  reserve(candidates: readonly EnrollmentCandidate[]): Promise<ReservationResult[]>;
  confirm(ids: readonly number[]): Promise<void>;
  release(ids: readonly number[]): Promise<void>;
}

export interface CustomEventSender {
  triggerCustomEvent(
    eventName: string,
    recipients: CustomEventRecipient[],
    options?: { signal?: AbortSignal },
  ): Promise<CustomEventOutcome[]>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export function describeAge(since: Date, now: Date): string {
  const ms = Math.max(0, now.getTime() - since.getTime());
  if (ms < 60 * 60 * 1000) return `${Math.max(1, Math.round(ms / 60_000))} min ago`;
  if (ms < DAY_MS) return `${Math.round(ms / 3_600_000)} h ago`;
  const days = Math.floor(ms / DAY_MS);
  return `${days} day${days === 1 ? '' : 's'} ago`;
}

export class ProgramEnroller {
  constructor(
    private readonly options: {
      enrollments: EnrolmentStore;
      responsys: CustomEventSender;
      now: () => Date;
    },
  ) {}

  /** Decides and, where eligible, sends each request; one result per request, in request order. */
  async enrol(requests: readonly EnrolmentRequest[], signal?: AbortSignal): Promise<EnrolmentResult[]> {
    const results: Array<EnrolmentResult | undefined> = new Array(requests.length);
    const eligible: number[] = [];
    requests.forEach((request, index) => {
      if (request.optedOut) {
        results[index] = {
          ...request,
          status: 'skipped',
          code: 'OPTED_OUT',
          reason: `not entered into ${request.route.eventName}: opted out of email`,
        };
      } else if (!request.riid) {
        results[index] = {
          ...request,
          status: 'skipped',
          code: 'NOT_IN_RESPONSYS',
          reason: `not entered into ${request.route.eventName}: no Responsys recipient yet`,
        };
      } else eligible.push(index);
    });

    const reservations = await this.options.enrollments.reserve(
      eligible.map((index) => {
        const request = requests[index]!;
        return {
          recipientKey: request.riid!,
          program: request.route.eventName,
          cooldownDays: request.route.cooldownDays,
          changeKey: request.changeKey,
          salesforceId: request.salesforceId,
          riid: request.riid!,
          correlationId: request.correlationId,
        };
      }),
    );
    const now = this.options.now();
    const reserved: Array<{ index: number; id: number }> = [];
    reservations.forEach((reservation, n) => {
      const index = eligible[n]!;
      const request = requests[index]!;
      const program = request.route.eventName;
      if (reservation.status === 'reserved') reserved.push({ index, id: reservation.id });
      else if (reservation.status === 'duplicate') {
        results[index] = {
          ...request,
          status: 'skipped',
          code: 'ALREADY_ENTERED',
          reason: `not entered into ${program} again: this change entered it ${describeAge(reservation.enteredAt, now)}`,
        };
      } else {
        results[index] = {
          ...request,
          status: 'skipped',
          code: 'COOLDOWN',
          reason:
            `not entered into ${program}: entered it ${describeAge(reservation.lastEnteredAt, now)} ` +
            `(${reservation.lastEnteredAt.toISOString()}), cooldown ${request.route.cooldownDays} days`,
        };
      }
    });

    const byEvent = new Map<string, Array<{ index: number; id: number }>>();
    for (const entry of reserved) {
      const eventName = requests[entry.index]!.route.eventName;
      byEvent.set(eventName, [...(byEvent.get(eventName) ?? []), entry]);
    }
    for (const [eventName, entries] of byEvent) {
      let outcomes: CustomEventOutcome[];
      try {
        outcomes = await this.options.responsys.triggerCustomEvent(
          eventName,
          entries.map(({ index }) => {
            const request = requests[index]!;
            return { riid: request.riid!, optionalData: request.optionalData };
          }),
          { signal },
        );
      } catch (error) {
        // The client refused the call before sending it (a bad event name): nothing entered.
        await this.options.enrollments.release(entries.map((entry) => entry.id));
        const message = error instanceof Error ? error.message : String(error);
        for (const { index } of entries) {
          results[index] = {
            ...requests[index]!,
            status: 'failed',
            code: 'EVENT_REFUSED',
            reason: `could not enter ${eventName}: ${message}`,
            retryable: false,
          };
        }
        continue;
      }
      const confirm: number[] = [];
      const release: number[] = [];
      entries.forEach(({ index, id }, n) => {
        const request = requests[index]!;
        const outcome = outcomes[n];
        if (outcome?.ok) {
          confirm.push(id);
          results[index] = { ...request, status: 'entered', reason: `entered ${eventName}` };
          return;
        }
        const failure = outcome ?? {
          ok: false as const,
          code: 'NO_ANSWER',
          message: 'no result for this recipient',
          retryable: true,
          scope: 'request' as const,
        };
        if (failure.outcomeUnknown) {
          // Responsys may have taken it: keep the entry so a retry never enrols the person twice.
          confirm.push(id);
        } else release.push(id);
        results[index] = {
          ...request,
          status: 'failed',
          code: failure.code,
          reason: `could not enter ${eventName}: ${failure.message}`,
          // A recipient Responsys cannot find right after the merge is worth another attempt.
          retryable: failure.outcomeUnknown
            ? false
            : failure.retryable || failure.code === 'NO_RECIPIENT_FOUND',
          ...(failure.retryAfterMs === undefined ? {} : { retryAfterMs: failure.retryAfterMs }),
        };
      });
      await this.options.enrollments.confirm(confirm);
      await this.options.enrollments.release(release);
    }
    return results.map((result) => result!);
  }
}
