// In-process mutual exclusion by key: work on a set of keys waits until no other holder has any of
// them. Keys are taken all at once, so two holders never wait on each other.

export class KeyedLocks {
  private readonly held = new Map<string, Promise<void>>();

  async withKeys<T>(keys: readonly string[], work: () => Promise<T>): Promise<T> {
    const unique = [...new Set(keys)];
    for (;;) {
      const busy = unique.map((key) => this.held.get(key)).filter((held) => held !== undefined);
      if (busy.length === 0) break;
      await Promise.all(busy);
    }
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    for (const key of unique) this.held.set(key, done);
    try {
      return await work();
    } finally {
      for (const key of unique) if (this.held.get(key) === done) this.held.delete(key);
      release();
    }
  }
}
