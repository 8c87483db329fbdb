import cliProgress from 'cli-progress';

// A progress bar for long CLI commands (backfill). On a terminal it redraws in place; in a pipe or a
// log file it prints a plain line every few percent instead of control characters.

export interface ProgressReporter {
  /** sets the total once known (e.g. after a COUNT query) */
  setTotal(total: number): void;
  increment(by?: number): void;
  stop(): void;
}

export function createProgress(
  label: string,
  stream: NodeJS.WritableStream & { isTTY?: boolean },
): ProgressReporter {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {value}/{total} | {eta_formatted} left`,
        stream: stream as NodeJS.WriteStream,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(0, 0);
    return {
      setTotal: (total) => bar.setTotal(total),
      increment: (by = 1) => bar.increment(by),
      stop: () => bar.stop(),
    };
  }
  let total = 0;
  let value = 0;
  let lastReported = -1;
  const report = () => {
    const percent = total > 0 ? Math.floor((value / total) * 100) : 0;
    if (percent >= lastReported + 5 || value === total) {
      lastReported = percent;
      stream.write(`${label}: ${value}/${total || '?'} (${percent}%)\n`);
    }
  };
  return {
    setTotal(next) {
      total = next;
    },
    increment(by = 1) {
      value += by;
      report();
    },
    stop() {
      if (value !== total || lastReported < 0) stream.write(`${label}: ${value}/${total || '?'} done\n`);
    },
  };
}
