// Long synchronous work (a page of 2,400 records mapped, hashed or encoded) holds up every answer
// waiting on the event loop: in a backfill, the merge calls in flight. Yielding between slices lets
// those answers in, so the next calls go out without waiting for the whole page.

/** Lets pending I/O callbacks run before the caller continues. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Records handled between two yields in loops over a page. */
export const SLICE = 200;
