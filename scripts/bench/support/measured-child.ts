import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

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

export async function runMeasured(
  script: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; onStderrLine?: (line: string) => void } = {},
): Promise<MeasuredRun> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let peak = 0;
  const sample = () => {
    const value = child.pid ? highWaterMark(child.pid) : undefined;
    if (value !== undefined) peak = Math.max(peak, value);
  };
  const timer = setInterval(sample, 100);
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
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
  return {
    exitCode,
    stdout,
    stderr,
    durationMs: Number(process.hrtime.bigint() - started) / 1e6,
    peakRssBytes: peak,
  };
}
