import { describe, expect, it } from 'vitest';
import {
  addToScore,
  decayFactor,
  displayScore,
  scoreAt,
} from '../../../bridge/src/flows/engagement/scoring.js';
import { summarize } from '../../../bridge/src/flows/engagement/summary.js';

const DAY = 86_400_000;
const t0 = new Date('2024-01-01T00:00:00Z');
const at = (days: number) => new Date(t0.getTime() + days * DAY);
const settings = { weights: { Opened: 1, Clicked: 5, Converted: 20, Complained: -10 }, halfLifeDays: 30 };

describe('engagement score', () => {
  it('halves the worth of points every half-life and never decays with a half-life of 0', () => {
    expect(decayFactor(at(0), at(30), 30)).toBeCloseTo(0.5, 10);
    expect(decayFactor(at(0), at(60), 30)).toBeCloseTo(0.25, 10);
    expect(decayFactor(at(0), at(400), 0)).toBe(1);
    expect(decayFactor(at(5), at(0), 30)).toBe(1);
  });

  it('adds the configured points per type, decayed from when each event happened', () => {
    const state = addToScore(
      undefined,
      [
        { type: 'Clicked', occurredAt: at(0) },
        { type: 'Opened', occurredAt: at(30) },
      ],
      at(30),
      settings,
    );
    expect(state.score).toBeCloseTo(5 * 0.5 + 1, 10);
    expect(state.at).toEqual(at(30));
    expect(scoreAt(state, at(60), settings)).toBeCloseTo((5 * 0.5 + 1) * 0.5, 10);
  });

  it('counts an event that arrives late as if it had been counted on time', () => {
    const inOrder = addToScore(
      undefined,
      [
        { type: 'Clicked', occurredAt: at(0) },
        { type: 'Converted', occurredAt: at(10) },
      ],
      at(20),
      settings,
    );
    const clickFirst = addToScore(undefined, [{ type: 'Converted', occurredAt: at(10) }], at(15), settings);
    const late = addToScore(clickFirst, [{ type: 'Clicked', occurredAt: at(0) }], at(20), settings);
    expect(late.score).toBeCloseTo(inOrder.score, 10);
  });

  it('never goes below zero and shows whole points capped to the field size', () => {
    const state = addToScore(
      undefined,
      [
        { type: 'Opened', occurredAt: at(0) },
        { type: 'Complained', occurredAt: at(1) },
      ],
      at(1),
      settings,
    );
    expect(state.score).toBe(0);
    expect(displayScore(12.5)).toBe(13);
    expect(displayScore(-3)).toBe(0);
    expect(displayScore(5_000_000)).toBe(999_999);
  });

  it('ignores types without a weight', () => {
    expect(addToScore(undefined, [{ type: 'Sent', occurredAt: at(0) }], at(0), settings).score).toBe(0);
  });
});

describe('engagement summary', () => {
  it('keeps the latest open and click even when an older event arrives later, and counts per type', () => {
    const target = { salesforceId: '003000000000001AAA', objectType: 'Contact' };
    const first = summarize(
      undefined,
      target,
      [
        { type: 'Opened', occurredAt: at(5) },
        { type: 'Clicked', occurredAt: at(6) },
      ],
      at(6),
      settings,
    );
    const second = summarize(first, target, [{ type: 'Opened', occurredAt: at(2) }], at(7), settings);
    expect(second.lastOpenedAt).toEqual(at(5));
    expect(second.lastClickedAt).toEqual(at(6));
    expect(second.eventCounts).toEqual({ Opened: 2, Clicked: 1 });
    expect(second.writtenScore).toBe(displayScore(second.score));
  });
});
