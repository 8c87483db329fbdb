import { describe, expect, it } from 'vitest';
import { FaultPlan } from './faults.js';

describe('FaultPlan', () => {
  it('fires a counted fault only for the matching method and path, then stops', () => {
    const plan = new FaultPlan();
    plan.add({ method: 'POST', path: '/rest/api/v1.3/lists/*/members', times: 2, fault: { type: 'drop' } });
    expect(plan.take('GET', '/rest/api/v1.3/lists/L/members')).toBeUndefined();
    expect(plan.take('POST', '/rest/api/v1.3/lists/L/members/extra')).toBeUndefined();
    expect(plan.take('POST', '/rest/api/v1.3/lists/L/members')).toEqual({ type: 'drop' });
    expect(plan.take('POST', '/rest/api/v1.3/lists/L/members')).toEqual({ type: 'drop' });
    expect(plan.take('POST', '/rest/api/v1.3/lists/L/members')).toBeUndefined();
  });

  it('matches across segments with ** and replays the same rate-based faults for the same seed', () => {
    const pattern = (seed: number) => {
      const plan = new FaultPlan(seed);
      plan.add({ path: '/services/**', rate: 0.5, fault: { type: 'status', status: 503 } });
      return Array.from({ length: 40 }, () => (plan.take('GET', '/services/data/v62.0/query') ? 1 : 0)).join(
        '',
      );
    };
    expect(pattern(7)).toBe(pattern(7));
    expect(pattern(7)).not.toBe(pattern(8));
    expect(pattern(7)).toMatch(/1/);
    expect(pattern(7)).toMatch(/0/);
  });

  it('rejects a malformed rule with a clear error', () => {
    const plan = new FaultPlan();
    expect(() => plan.add({ path: '', fault: { type: 'drop' } })).toThrow(/path/);
  });
});
