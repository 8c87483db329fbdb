import type { EngagementType } from './events.js';
import type { SummaryState } from './event-store.js';
import { addToScore, displayScore, type ScoreSettings } from './scoring.js';

// The summary fields of a Lead or Contact follow its engagement: the latest open and click (never
// moved back by an older event arriving late), and the decayed engagement score.

export interface SummaryEvent {
  type: EngagementType;
  occurredAt: Date;
}

const later = (a: Date | null, b: Date | null): Date | null => {
  if (!a) return b;
  if (!b) return a;
  return a.getTime() >= b.getTime() ? a : b;
};

/** The summary after `events` (not counted before), as of `now`. */
export function summarize(
  previous: SummaryState | undefined,
  target: { salesforceId: string; objectType: string },
  events: readonly SummaryEvent[],
  now: Date,
  settings: ScoreSettings,
): SummaryState {
  const score = addToScore(
    previous ? { score: previous.score, at: previous.scoreAt } : undefined,
    events,
    now,
    settings,
  );
  let lastOpenedAt = previous?.lastOpenedAt ?? null;
  let lastClickedAt = previous?.lastClickedAt ?? null;
  const eventCounts = { ...(previous?.eventCounts ?? {}) };
  for (const event of events) {
    if (event.type === 'Opened') lastOpenedAt = later(lastOpenedAt, event.occurredAt);
    if (event.type === 'Clicked') lastClickedAt = later(lastClickedAt, event.occurredAt);
    eventCounts[event.type] = (eventCounts[event.type] ?? 0) + 1;
  }
  return {
    salesforceId: target.salesforceId,
    objectType: target.objectType,
    score: score.score,
    scoreAt: score.at,
    writtenScore: displayScore(score.score),
    lastOpenedAt,
    lastClickedAt,
    eventCounts,
  };
}

/** A converted Lead's history moves to its Contact the first time the Contact gets engagement. */
export function inheritSummary(
  lead: SummaryState,
  contact: { salesforceId: string; objectType: string },
): SummaryState {
  return { ...lead, salesforceId: contact.salesforceId, objectType: contact.objectType, writtenScore: null };
}

export { later as latestOf };
