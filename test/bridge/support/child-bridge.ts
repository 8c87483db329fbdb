import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TEST_ADMIN_TOKEN } from './config.js';

// Runs test/bridge/fixtures/bridge-process.ts as a separate Node process (as operators run the bridge)
// and follows its JSON log lines.

const fixture = fileURLToPath(new URL('../fixtures/bridge-process.ts', import.meta.url));

export interface ChildBridge {
  process: ChildProcess;
  lines: Array<Record<string, unknown>>;
  stderr: string[];
  /** resolves with the first log line matching `predicate` */
  waitForLine(
    predicate: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** resolves with the exit code */
  exited: Promise<number | null>;
}

export function spawnBridge(env: Record<string, string>): ChildBridge {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      BRIDGE_HOST: '127.0.0.1',
      BRIDGE_PORT: '0',
      BRIDGE_LOG_LEVEL: 'info',
      BRIDGE_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      BRIDGE_QUEUE_POLL_INTERVAL_MS: '500',
      BRIDGE_PROCESS_METRICS: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  const waiters: Array<{
    predicate: (line: Record<string, unknown>) => boolean;
    resolve: (line: Record<string, unknown>) => void;
  }> = [];
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    for (const part of parts) {
      if (!part.trim()) continue;
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(part);
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
  });
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    process: child,
    lines,
    stderr,
    exited,
    waitForLine(predicate, timeoutMs = 60_000) {
      const existing = lines.find(predicate);
      if (existing) return Promise.resolve(existing);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(
            new Error(
              `the bridge process did not log the expected line within ${timeoutMs} ms; stderr: ${stderr.join('')}; last lines: ${JSON.stringify(lines.slice(-5))}`,
            ),
          );
        }, timeoutMs);
        waiters.push({
          predicate,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(
            new Error(
              `the bridge process exited with ${code} before logging the expected line; stderr: ${stderr.join('')}`,
            ),
          );
        });
      });
    },
  };
}

/** Stops a child that a failed test left running. */
export async function killIfRunning(child: ChildBridge | undefined): Promise<void> {
  if (!child || child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGKILL');
  await child.exited;
}
