/** A bounded queue between two stages: `push` waits while it is full, `take` while it is empty. */
export class AsyncQueue<T> {
  private readonly items: T[] = [];
  private readonly takers: Array<(item: T | undefined) => void> = [];
  private readonly pushers: Array<() => void> = [];
  private closed = false;

  constructor(private readonly capacity: number) {}

  async push(item: T): Promise<void> {
    while (this.items.length >= this.capacity && !this.closed) {
      await new Promise<void>((resolve) => this.pushers.push(resolve));
    }
    const taker = this.takers.shift();
    if (taker) taker(item);
    else this.items.push(item);
  }

  take(): Promise<T | undefined> {
    const item = this.items.shift();
    if (item !== undefined) {
      this.pushers.shift()?.();
      return Promise.resolve(item);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.takers.push(resolve));
  }

  close(): void {
    this.closed = true;
    for (const taker of this.takers.splice(0)) taker(undefined);
    for (const pusher of this.pushers.splice(0)) pusher();
  }
}

/**
 * Stages of a pipeline that run at once. The first to fail stops the others: the queues between
 * them are closed (so nobody waits on them any more), `stopped` turns true, `failed` rejects (for a
 * stage waiting on something else), and `run` rejects with that first error once all have ended.
 */
export class Stages {
  readonly failed: Promise<never>;
  private stop!: (error: unknown) => void;
  private failure: { error: unknown } | undefined;

  constructor(private readonly queues: ReadonlyArray<{ close(): void }>) {
    this.failed = new Promise<never>((_, reject) => (this.stop = reject));
    this.failed.catch(() => undefined);
  }

  get stopped(): boolean {
    return this.failure !== undefined;
  }

  async run(stages: ReadonlyArray<() => Promise<void>>): Promise<void> {
    await Promise.allSettled(
      stages.map((stage) =>
        stage().catch((error: unknown) => {
          if (this.failure) return;
          this.failure = { error };
          for (const queue of this.queues) queue.close();
          this.stop(error);
        }),
      ),
    );
    if (this.failure) throw this.failure.error;
  }
}
