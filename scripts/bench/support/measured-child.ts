import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

// Runs a bridge command in a child process of its own (one node process, TypeScript through tsx's
// loader) and measures it from outside: wall time and peak resident memory (VmHWM of
// /proc/<pid>/status, sampled until the process exits; the kernel keeps the high-water mark, so a
// late sample still sees an earlier peak).

export interface MeasuredRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** peak resident set size in bytes (VmHWM), 0 where /proc is unavailable */
  peakRssBytes: number;
  /** CPU time of the process (user + system) at its last sample, ms */
  cpuMs: number;
}

const TICKS_PER_SECOND = 100;

/** utime + stime of a process from /proc/<pid>/stat, in ms (clock ticks are 1/100 s on Linux). */
function cpuTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1000;
  } catch {
    return undefined;
  }
}

function highWaterMark(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU time of the PostgreSQL backends serving `database` (their process titles name it), sampled
 * every 100 ms until stopped: the store work a bridge process causes, which its own CPU time leaves
 * out. 0 when the server runs on another machine (no such processes here).
 */
export function sampleDatabaseCpu(database: string): { stop(): number } {
  const backends = new Map<number, number>();
  const sample = () => {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let title: string;
      try {
        title = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      } catch {
        continue; // the process ended between the listing and the read
      }
      if (!title.startsWith('postgres:') || !title.includes(` ${database} `)) continue;
      const cpu = cpuTime(Number(entry));
      if (cpu !== undefined) backends.set(Number(entry), cpu);
    }
  };
  const timer = setInterval(sample, 100);
  return {
    stop() {
      sample();
      clearInterval(timer);
      return [...backends.values()].reduce((sum, cpu) => sum + cpu, 0);
    },
  };
}

export async function runMeasured(
  script: string,
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    onStderrLine?: (line: string) => void;
    onStdout?: (text: string) => void;
    onSpawn?: (child: ChildProcess) => void;
  } = {},
): Promise<MeasuredRun> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  options.onSpawn?.(child);
  // Never leave a bridge process behind when the benchmark itself ends early.
  const killChild = () => child.kill('SIGKILL');
  process.once('exit', killChild);
  let peak = 0;
  let cpuMs = 0;
  const sample = () => {
    const value = child.pid ? highWaterMark(child.pid) : undefined;
    if (value !== undefined) peak = Math.max(peak, value);
    const cpu = child.pid ? cpuTime(child.pid) : undefined;
    if (cpu !== undefined) cpuMs = Math.max(cpuMs, cpu);
  };
  const timer = setInterval(sample, 100);
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
    if (stdout.length > 2_000_000) stdout = stdout.slice(-1_000_000);
    options.onStdout?.(text);
    sample();
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
    partial += text;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) options.onStderrLine?.(line);
  });
  const exitCode = await new Promise<number | null>((resolve) => {
    // 'exit' fires before the process is reaped, so one last sample can still read its status.
    child.once('exit', (code) => {
      sample();
      resolve(code);
    });
  });
  clearInterval(timer);
  process.off('exit', killChild);
  return {
    exitCode,
    stdout,
    stderr,
    durationMs: Number(process.hrtime.bigint() - started) / 1e6,
    peakRssBytes: peak,
    cpuMs,
  };
}

export interface RunningChild {
  pid: number;
  /** resolves with the first JSON log line (stdout or stderr) the predicate accepts */
  waitForLine(
    predicate: (line: Record<string, unknown>) => boolean,
    timeoutMs: number,
  ): Promise<Record<string, unknown>>;
  /** SIGTERM, then the measured run once it exited */
  stop(): Promise<MeasuredRun>;
}

/** A long-running bridge process (e.g. `start`), measured like runMeasured until it is stopped. */
export function startMeasured(
  script: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): RunningChild {
  const waiters: Array<{
    predicate: (line: Record<string, unknown>) => boolean;
    resolve(line: Record<string, unknown>): void;
  }> = [];
  const seen: Array<Record<string, unknown>> = [];
  const onLine = (text: string) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      line = { msg: text };
    }
    seen.push(line);
    if (seen.length > 500) seen.shift();
    for (const waiter of [...waiters]) {
      if (waiter.predicate(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  };
  let stdoutPartial = '';
  let pid = 0;
  let exited = false;
  const run = runMeasured(script, args, {
    ...options,
    onStderrLine: onLine,
    onStdout: (text) => {
      stdoutPartial += text;
      const lines = stdoutPartial.split('\n');
      stdoutPartial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) onLine(line);
    },
    onSpawn: (child) => (pid = child.pid ?? 0),
  });
  void run.then(() => (exited = true));
  return {
    get pid() {
      return pid;
    },
    waitForLine(predicate, timeoutMs) {
      const existing = seen.find(predicate);
      if (existing) return Promise.resolve(existing);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`no such log line within ${timeoutMs} ms; last: ${JSON.stringify(seen.slice(-5))}`),
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
        void run.then((result) => {
          clearTimeout(timer);
          reject(new Error(`the process exited with ${result.exitCode}: ${result.stderr.slice(-1500)}`));
        });
      });
    },
    async stop() {
      if (!exited && pid) process.kill(pid, 'SIGTERM');
      return run;
    },
  };
}
