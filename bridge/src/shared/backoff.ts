// Exponential backoff with "equal jitter": the delay for attempt n is drawn from [c/2, c] where
// c = min(max, base * 2^(n-1)). The lower bound still doubles each time, and retries of many records
// that failed together spread out instead of hammering the service in step.

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export function backoffDelayMs(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
