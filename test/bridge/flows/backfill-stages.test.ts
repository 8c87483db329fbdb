import { describe, expect, it } from 'vitest';
import { AsyncQueue, Stages } from '../../../bridge/src/flows/backfill/stages.js';

// The backfill's stages (reader, merge lanes, store) hand work over through bounded queues. These
// prove the hand-over, and that one failing stage ends the run with its error instead of leaving the
// others waiting forever (a merge lane failing used to leave the store waiting on its page).

describe('a bounded queue between two stages', () => {
  it('makes the producer wait while it is full, and hands items over in order', async () => {
    const queue = new AsyncQueue<number>(2);
    await queue.push(1);
    await queue.push(2);
    let thirdPushed = false;
    const third = queue.push(3).then(() => (thirdPushed = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(thirdPushed, 'a full queue holds the producer').toBe(false);
    expect(await queue.take()).toBe(1);
    await third;
    expect([await queue.take(), await queue.take()]).toEqual([2, 3]);
  });

  it('answers a waiting consumer with undefined once closed', async () => {
    const queue = new AsyncQueue<number>(1);
    const waiting = queue.take();
    queue.close();
    expect(await waiting).toBeUndefined();
  });
});

describe('stages of one run', () => {
  it('end with the first stage error while the others wait on a queue or on another stage', async () => {
    const work = new AsyncQueue<string>(4);
    const neverDone = new Promise<void>(() => undefined);
    const stages = new Stages([work]);
    let consumed = 0;
    const run = stages.run([
      async () => {
        await work.push('chunk');
        throw new Error('merge call failed');
      },
      // a lane waiting for work that will never come
      async () => {
        for (let item = await work.take(); item && !stages.stopped; item = await work.take()) consumed += 1;
      },
      // a store stage waiting for a page that will never be merged
      async () => {
        await Promise.race([neverDone, stages.failed]);
      },
    ]);
    await expect(run).rejects.toThrow('merge call failed');
    expect(stages.stopped).toBe(true);
    expect(consumed).toBeLessThanOrEqual(1);
  });

  it('finish without error when every stage does', async () => {
    const work = new AsyncQueue<number>(1);
    const seen: number[] = [];
    const stages = new Stages([work]);
    await stages.run([
      async () => {
        for (const item of [1, 2, 3]) await work.push(item);
        work.close();
      },
      async () => {
        for (let item = await work.take(); item !== undefined; item = await work.take()) seen.push(item);
      },
    ]);
    expect(seen).toEqual([1, 2, 3]);
    expect(stages.stopped).toBe(false);
  });
});
