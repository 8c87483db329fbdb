import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { Client, type FileEntryWithStats, type SFTPWrapper, type Stats } from 'ssh2';
import type { Logger } from '../../shared/logger.js';
import { isVisibleFileName, type FileLocation, type RemoteFile } from './location.js';

// Export files on an SFTP server, through the ssh2 client. One connection is opened on first use and
// kept; a dropped connection is opened again by the next call. Responsys-hosted SFTP uses SSH keys;
// a customer server may use a password. When the host key fingerprint is configured, a server that
// presents another key is refused (the fingerprint is what `ssh-keygen -lf` prints, `SHA256:...`).

export interface SftpLocationOptions {
  host: string;
  port: number;
  username: string;
  password?: string;
  privateKey?: string | Buffer;
  passphrase?: string;
  /** the folder on the server (default `/`) */
  path: string;
  /** `SHA256:<base64>` of the server's host key; unset: any key is accepted (logged once) */
  hostKeyFingerprint?: string;
  /** connect and per-operation timeout (default 30 s) */
  timeoutMs?: number;
  logger?: Logger;
}

interface Session {
  client: Client;
  sftp: SFTPWrapper;
}

/** `SHA256:abc=` / `abc` / `abc=` all name the same fingerprint. */
export function normaliseFingerprint(value: string): string {
  return value
    .trim()
    .replace(/^SHA256:/i, '')
    .replace(/=+$/, '');
}

export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${normaliseFingerprint(createHash('sha256').update(key).digest('base64'))}`;
}

export class SftpLocation implements FileLocation {
  readonly description: string;
  private session: Promise<Session> | undefined;
  private warnedAboutHostKey = false;
  private closed = false;

  constructor(private readonly options: SftpLocationOptions) {
    this.description = `sftp://${options.username}@${options.host}:${options.port}${options.path}`;
  }

  async list(): Promise<RemoteFile[]> {
    const { sftp } = await this.connect();
    const entries = await this.call<FileEntryWithStats[]>((done) => sftp.readdir(this.options.path, done));
    return entries
      .filter((entry) => isVisibleFileName(entry.filename) && isRegularFile(entry.attrs.mode))
      .map((entry) => ({
        name: entry.filename,
        size: entry.attrs.size,
        modifiedAt: new Date(entry.attrs.mtime * 1000),
      }));
  }

  async read(name: string, start = 0): Promise<Readable> {
    const { sftp } = await this.connect();
    const path = this.pathOf(name);
    // Fail here (not in the middle of the stream) when the file is gone.
    await this.call<Stats>((done) => sftp.stat(path, done));
    const stream = sftp.createReadStream(path, { start, highWaterMark: 256 * 1024 });
    // The handle is closed after the last byte; when the connection ends first, that late close
    // fails on a stream nobody listens to any more. Readers still get errors while they read.
    stream.on('error', () => undefined);
    return stream;
  }

  async moveToFolder(name: string, folder: string): Promise<string> {
    const { sftp } = await this.connect();
    const target = posix.join(this.options.path, folder);
    await this.call((done) => sftp.mkdir(target, done)).catch(async (error: unknown) => {
      // an existing folder is fine; anything else is reported by the rename below
      if (!(await this.exists(sftp, target))) throw error;
    });
    let destination = posix.join(target, name);
    for (let n = 1; await this.exists(sftp, destination); n += 1) {
      destination = posix.join(target, `${name}.${n}`);
    }
    await this.call((done) => sftp.rename(this.pathOf(name), destination, done));
    return destination;
  }

  async remove(name: string): Promise<void> {
    const { sftp } = await this.connect();
    await this.call((done) => sftp.unlink(this.pathOf(name), done));
  }

  async close(): Promise<void> {
    this.closed = true;
    const session = this.session;
    this.session = undefined;
    if (!session) return;
    try {
      (await session).client.end();
    } catch {
      // never connected: nothing to close
    }
  }

  private pathOf(name: string): string {
    if (!isVisibleFileName(name)) throw new Error(`"${name}" is not a file name in ${this.description}`);
    return posix.join(this.options.path, name);
  }

  private async exists(sftp: SFTPWrapper, path: string): Promise<boolean> {
    try {
      await this.call<Stats>((done) => sftp.stat(path, done));
      return true;
    } catch {
      return false;
    }
  }

  private call<T = void>(start: (done: (error: Error | null | undefined, value?: T) => void) => void) {
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.drop();
        reject(new Error(`SFTP operation on ${this.description} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      start((error, value) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(value as T);
      });
    });
  }

  private drop(): void {
    const session = this.session;
    this.session = undefined;
    void session?.then((s) => s.client.end()).catch(() => undefined);
  }

  private connect(): Promise<Session> {
    if (this.closed) return Promise.reject(new Error(`${this.description} is closed`));
    this.session ??= this.open().catch((error: unknown) => {
      this.session = undefined;
      throw error;
    });
    return this.session;
  }

  private open(): Promise<Session> {
    const { options } = this;
    const expected = options.hostKeyFingerprint
      ? normaliseFingerprint(options.hostKeyFingerprint)
      : undefined;
    return new Promise<Session>((resolve, reject) => {
      const client = new Client();
      let settled = false;
      let offeredKey: string | undefined;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        client.end();
        reject(error);
      };
      client.on('ready', () => {
        client.sftp((error, sftp) => {
          if (error) return fail(error);
          settled = true;
          resolve({ client, sftp });
        });
      });
      client.on('error', (error) => {
        if (offeredKey && expected && normaliseFingerprint(offeredKey) !== expected) {
          return fail(
            new Error(
              `The SFTP server ${options.host} presented host key ${offeredKey}, not the configured ${options.hostKeyFingerprint}`,
            ),
          );
        }
        if (!settled)
          return fail(new Error(`SFTP connection to ${this.description} failed: ${error.message}`));
        this.session = undefined;
      });
      client.on('close', () => {
        if (!settled) fail(new Error(`SFTP connection to ${this.description} closed while opening`));
        this.session = undefined;
      });
      client.connect({
        host: options.host,
        port: options.port,
        username: options.username,
        password: options.password,
        privateKey: options.privateKey,
        passphrase: options.passphrase,
        readyTimeout: options.timeoutMs ?? 30_000,
        keepaliveInterval: 15_000,
        hostVerifier: (key: Buffer) => {
          offeredKey = hostKeyFingerprint(key);
          if (expected) return normaliseFingerprint(offeredKey) === expected;
          if (!this.warnedAboutHostKey) {
            this.warnedAboutHostKey = true;
            options.logger?.warn(
              { hostKey: offeredKey },
              `SFTP host key of ${options.host} accepted without verification; set RESPONSYS_EVENT_FILES_HOST_KEY to pin it`,
            );
          }
          return true;
        },
      });
    });
  }
}

function isRegularFile(mode: number): boolean {
  // S_IFMT / S_IFREG; servers that send no type bits are trusted to list files only
  const type = mode & 0o170000;
  return type === 0 || type === 0o100000;
}
