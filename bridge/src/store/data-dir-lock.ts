import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { BridgeError } from '../shared/errors.js';

// The embedded store is one PostgreSQL instance inside this process: two processes opening the same
// directory would corrupt it. A lock file (with the holder's pid and admin URL) keeps a second
// process out with a clear message, and lets the CLI reach the running bridge instead.

export interface DataDirLockInfo {
  pid: number;
  instanceId: string;
  startedAt: string;
  /** the running bridge's HTTP address, once it listens */
  adminUrl?: string;
}

const LOCK_FILE = 'bridge.lock';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readDataDirLock(dataDir: string): DataDirLockInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')) as DataDirLockInfo;
    return isAlive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

export class DataDirLock {
  private released = false;

  private constructor(
    private readonly file: string,
    private info: DataDirLockInfo,
  ) {}

  static acquire(dataDir: string, instanceId: string): DataDirLock {
    mkdirSync(dataDir, { recursive: true });
    const file = join(dataDir, LOCK_FILE);
    const info: DataDirLockInfo = { pid: process.pid, instanceId, startedAt: new Date().toISOString() };
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        const fd = openSync(file, 'wx');
        writeFileSync(fd, JSON.stringify(info));
        closeSync(fd);
        return new DataDirLock(file, info);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = readDataDirLock(dataDir);
        if (holder) {
          throw new BridgeError(
            'STORE_IN_USE',
            holder.pid === process.pid
              ? `The embedded store in ${dataDir} is already open in this process.`
              : `The embedded store in ${dataDir} is in use by another bridge process (pid ${holder.pid}). ` +
                  'Stop it, or set DATABASE_URL to a PostgreSQL server to run several processes.',
            { details: { pid: holder.pid, adminUrl: holder.adminUrl } },
          );
        }
        // The previous holder died without cleaning up: its lock is stale.
        rmSync(file, { force: true });
      }
    }
    throw new BridgeError('STORE_IN_USE', `Could not lock the embedded store in ${dataDir}.`);
  }

  /** Records the admin URL once the HTTP server listens, for the CLI. */
  update(fields: Partial<DataDirLockInfo>): void {
    if (this.released) return;
    this.info = { ...this.info, ...fields };
    writeFileSync(this.file, JSON.stringify(this.info));
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    rmSync(this.file, { force: true });
  }
}
