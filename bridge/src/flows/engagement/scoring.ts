import type { EngagementType } from './events.js';

// The engagement score on Lead and Contact (Responsys_Engagement_Score__c): each event adds the
// points configured for its type, and points lose half their worth every `halfLifeDays` (exponential
// decay), so recent behaviour counts more than old. The bridge keeps the score with the time it was
// computed at; bringing it to another time is one multiplication, so adding events never needs the
// history again. The score never goes below 0, and Salesforce gets it rounded (Number 6,0).

export interface ScoreSettings {
  /** points per event type; missing types count 0 */
  weights: Partial<Record<EngagementType, number>>;
  /** 0: points never decay */
  halfLifeDays: number;
}

export interface ScoreState {
  score: number;
  /** the time `score` is valid at */
  at: Date;
}

const DAY_MS = 86_400_000;
export const MAX_SCORE = 999_999;

/** How much a point earned at `from` is worth at `to`. Events from the future count in full. */
export function decayFactor(from: Date, to: Date, halfLifeDays: number): number {
  if (halfLifeDays <= 0) return 1;
  const elapsed = to.getTime() - from.getTime();
  if (elapsed <= 0) return 1;
  return 0.5 ** (elapsed / (halfLifeDays * DAY_MS));
}

/** The score brought forward (or kept) to `at`. */
export function scoreAt(state: ScoreState | undefined, at: Date, settings: ScoreSettings): number {
  if (!state) return 0;
  if (at.getTime() <= state.at.getTime()) return state.score;
  return state.score * decayFactor(state.at, at, settings.halfLifeDays);
}

/**
 * Adds events to a score, as of `now`: the old score decays to now, each event counts its weight
 * decayed from when it happened. Events are applied in time order so that a negative event (a
 * complaint) only takes away what was there at that moment.
 */
export function addToScore(
  state: ScoreState | undefined,
  events: ReadonlyArray<{ type: EngagementType; occurredAt: Date }>,
  now: Date,
  settings: ScoreSettings,
): ScoreState {
  const ordered = [...events].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
  let score = state?.score ?? 0;
  let at = state?.at ?? ordered[0]?.occurredAt ?? now;
  for (const event of ordered) {
    const weight = settings.weights[event.type] ?? 0;
    if (weight === 0) continue;
    // An event older than the state's time still counts, decayed from its own time.
    if (event.occurredAt.getTime() >= at.getTime()) {
      score *= decayFactor(at, event.occurredAt, settings.halfLifeDays);
      at = event.occurredAt;
      score = Math.max(0, score + weight);
    } else {
      score = Math.max(0, score + weight * decayFactor(event.occurredAt, at, settings.halfLifeDays));
    }
  }
  if (now.getTime() > at.getTime()) {
    score *= decayFactor(at, now, settings.halfLifeDays);
    at = now;
  }
  return { score, at };
}

/** The value written to Salesforce. */
export function displayScore(score: number): number {
  return Math.min(MAX_SCORE, Math.max(0, Math.round(score)));
}
