// The emulator's notion of "now". Tests can pin or advance it through the control API to expire
// sessions, age query cursors or make LAST_N_DAYS filters deterministic, without waiting.

export class EmulatorClock {
  private offsetMs = 0;
  private frozenAt: number | undefined;

  nowMs(): number {
    return this.frozenAt ?? Date.now() + this.offsetMs;
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  iso(): string {
    return this.now().toISOString();
  }

  /** Moves "now" to the given instant; it keeps running from there unless `freeze` is set. */
  set(instant: Date, freeze = false): void {
    if (freeze) {
      this.frozenAt = instant.getTime();
    } else {
      this.frozenAt = undefined;
      this.offsetMs = instant.getTime() - Date.now();
    }
  }

  advance(ms: number): void {
    if (this.frozenAt !== undefined) this.frozenAt += ms;
    else this.offsetMs += ms;
  }

  reset(): void {
    this.offsetMs = 0;
    this.frozenAt = undefined;
  }

  describe(): { now: string; offsetMs: number; frozen: boolean } {
    return {
      now: this.iso(),
      offsetMs: this.frozenAt === undefined ? this.offsetMs : this.frozenAt - Date.now(),
      frozen: this.frozenAt !== undefined,
    };
  }
}
