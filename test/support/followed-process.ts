import type { ChildProcess } from 'node:child_process';

// A bridge process started by a test (as operators start it), followed through its JSON log lines:
// tests wait for the line that proves a step happened rather than sleeping.

export type LogLine = Record<string, unknown>;

export interface FollowedProcess {
  process: ChildProcess;
  /** every line it printed, parsed (a line that is not JSON becomes `{ msg }`) */
  lines: LogLine[];
  /** everything it printed on stdout and stderr */
  output(): string;
  /** resolves with the first line matching `predicate`; rejects when it exits or times out first */
  waitForLine(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** resolves with the exit code */
  exited: Promise<number | null>;
}

export function followProcess(child: ChildProcess): FollowedProcess {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const waiters: Array<{ predicate: (line: LogLine) => boolean; resolve: (line: LogLine) => void }> = [];
  const buffers = new Map<unknown, string>();
  const take = (stream: unknown) => (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    raw.push(text);
    const parts = ((buffers.get(stream) ?? '') + text).split('\n');
    buffers.set(stream, parts.pop()!);
    for (const part of parts) {
      if (!part.trim()) continue;
      let line: LogLine;
      try {
        line = JSON.parse(part) as LogLine;
      } catch {
        line = { msg: part };
      }
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  };
  child.stdout!.on('data', take(child.stdout));
  child.stderr!.on('data', take(child.stderr));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    process: child,
    lines,
    output: () => raw.join(''),
    exited,
    waitForLine(predicate, timeoutMs = 60_000) {
      const existing = lines.find(predicate);
      if (existing) return Promise.resolve(existing);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `no matching log line within ${timeoutMs} ms; last lines: ${JSON.stringify(lines.slice(-8))}`,
              ),
            ),
          timeoutMs,
        );
        waiters.push({
          predicate,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`the process exited with ${code} first; output: ${raw.join('').slice(-3000)}`));
        });
      });
    },
  };
}

/** Stops a process that a failed test left running. */
export async function killIfRunning(child: FollowedProcess | undefined): Promise<void> {
  if (!child || child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGKILL');
  await child.exited;
}
