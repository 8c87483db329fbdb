import { createHash, generateKeyPairSync } from 'node:crypto';
import { open, readdir, rename, rmdir, mkdir, stat, lstat, unlink, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { posix, join } from 'node:path';
import ssh2, { type Attributes, type Connection, type ParsedKey, type SFTPWrapper } from 'ssh2';

// The file server a Connect export job delivers to: an SFTP server (ssh2's server) rooted at the
// event-files directory, with password or public-key authentication. It supports what an SFTP
// client needs to fetch and then move or delete processed files.

const { Server, utils } = ssh2;
const { OPEN_MODE, STATUS_CODE } = utils.sftp;

export interface SftpServerOptions {
  root: string;
  host: string;
  port: number;
  username: string;
  password: string;
  authorizedKeys: string[];
}

export interface SftpServerHandle {
  host: string;
  port: number;
  /** SHA-256 fingerprint of the host key generated at start, for clients that pin it. */
  hostKeyFingerprint: string;
  close(): Promise<void>;
}

type OpenHandle = { kind: 'file'; file: FileHandle } | { kind: 'dir'; path: string; listed: boolean };

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function attributes(stats: Stats): Attributes {
  return {
    mode: stats.mode,
    uid: stats.uid,
    gid: stats.gid,
    size: stats.size,
    atime: Math.floor(stats.atimeMs / 1000),
    mtime: Math.floor(stats.mtimeMs / 1000),
  };
}

/** An `ls -l` style line, which some clients display or parse. */
function longname(name: string, stats: Stats): string {
  const type = stats.isDirectory() ? 'd' : '-';
  const bits = (stats.mode & 0o777).toString(2).padStart(9, '0');
  const perms = [...'rwxrwxrwx'].map((c, i) => (bits[i] === '1' ? c : '-')).join('');
  const date = stats.mtime;
  const when = `${months[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, ' ')} ${String(
    date.getUTCHours(),
  ).padStart(2, '0')}:${String(date.getUTCMinutes()).padStart(2, '0')}`;
  return `${type}${perms} 1 responsys responsys ${String(stats.size).padStart(8, ' ')} ${when} ${name}`;
}

function statusFor(error: unknown): number {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return STATUS_CODE.NO_SUCH_FILE;
  if (code === 'EACCES' || code === 'EPERM') return STATUS_CODE.PERMISSION_DENIED;
  return STATUS_CODE.FAILURE;
}

/** Partial files an export is still writing are invisible to clients. */
const isHidden = (name: string) => name.startsWith('.') && name.endsWith('.part');

export async function startSftpServer(options: SftpServerOptions): Promise<SftpServerHandle> {
  const { privateKey } = generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    privateKeyEncoding: { type: 'sec1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const hostKey = utils.parseKey(privateKey);
  if (hostKey instanceof Error) throw hostKey;
  const allowedKeys: ParsedKey[] = options.authorizedKeys.map((line) => {
    const parsed = utils.parseKey(line);
    if (parsed instanceof Error) throw new Error(`Invalid SFTP authorized key: ${parsed.message}`);
    return Array.isArray(parsed) ? parsed[0]! : parsed;
  });
  const hostKeyFingerprint = createHash('sha256')
    .update((Array.isArray(hostKey) ? hostKey[0]! : hostKey).getPublicSSH())
    .digest('base64');

  const connections = new Set<Connection>();
  const server = new Server({ hostKeys: [privateKey] }, (client) => {
    connections.add(client);
    client.on('close', () => connections.delete(client));
    client.on('error', () => connections.delete(client));
    client.on('authentication', (ctx) => {
      if (ctx.username !== options.username) return ctx.reject(['password', 'publickey']);
      if (ctx.method === 'password') {
        return ctx.password === options.password ? ctx.accept() : ctx.reject(['password', 'publickey']);
      }
      if (ctx.method === 'publickey') {
        const key = allowedKeys.find((k) => k.getPublicSSH().equals(ctx.key.data));
        if (!key) return ctx.reject(['password', 'publickey']);
        // Without a signature the client is only asking whether the key would do.
        if (!ctx.signature) return ctx.accept();
        return key.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true ? ctx.accept() : ctx.reject();
      }
      ctx.reject(['password', 'publickey']);
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('exec', (_accept, reject) => reject());
        session.on('shell', (_accept, reject) => reject());
        session.on('sftp', (acceptSftp) => serveSftp(acceptSftp(), options.root));
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as { port: number };
  return {
    host: options.host,
    port: address.port,
    hostKeyFingerprint,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of connections) client.end();
        server.close(() => resolve());
      }),
  };
}

function serveSftp(sftp: SFTPWrapper, root: string): void {
  const handles = new Map<string, OpenHandle>();
  let nextHandle = 1;
  const toVirtual = (path: string) => posix.resolve('/', path || '.');
  const toReal = (path: string) => join(root, toVirtual(path));
  const newHandle = (entry: OpenHandle) => {
    const id = Buffer.alloc(4);
    id.writeUInt32BE(nextHandle++);
    handles.set(id.toString('hex'), entry);
    return id;
  };
  const run = (reqId: number, work: () => Promise<void>) => {
    work().catch((error) => sftp.status(reqId, statusFor(error)));
  };

  sftp.on('REALPATH', (reqId, path) => {
    const virtual = toVirtual(path);
    sftp.name(reqId, [{ filename: virtual, longname: virtual, attrs: {} as Attributes }]);
  });

  sftp.on('STAT', (reqId, path) =>
    run(reqId, async () => sftp.attrs(reqId, attributes(await stat(toReal(path))))),
  );
  sftp.on('LSTAT', (reqId, path) =>
    run(reqId, async () => sftp.attrs(reqId, attributes(await lstat(toReal(path))))),
  );

  sftp.on('OPEN', (reqId, filename, flags) =>
    run(reqId, async () => {
      const mode = utils.sftp.flagsToString(flags);
      if (!mode) return void sftp.status(reqId, STATUS_CODE.OP_UNSUPPORTED);
      // Reading is the common case; writes are allowed too, as on a real file server.
      const file = await open(toReal(filename), mode, flags & OPEN_MODE.CREAT ? 0o644 : undefined);
      sftp.handle(reqId, newHandle({ kind: 'file', file }));
    }),
  );

  sftp.on('READ', (reqId, handle, offset, length) =>
    run(reqId, async () => {
      const entry = handles.get(handle.toString('hex'));
      if (entry?.kind !== 'file') return void sftp.status(reqId, STATUS_CODE.FAILURE);
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await entry.file.read(buffer, 0, length, offset);
      if (bytesRead === 0) return void sftp.status(reqId, STATUS_CODE.EOF);
      sftp.data(reqId, buffer.subarray(0, bytesRead));
    }),
  );

  sftp.on('WRITE', (reqId, handle, offset, data) =>
    run(reqId, async () => {
      const entry = handles.get(handle.toString('hex'));
      if (entry?.kind !== 'file') return void sftp.status(reqId, STATUS_CODE.FAILURE);
      await entry.file.write(data, 0, data.length, offset);
      sftp.status(reqId, STATUS_CODE.OK);
    }),
  );

  sftp.on('FSTAT', (reqId, handle) =>
    run(reqId, async () => {
      const entry = handles.get(handle.toString('hex'));
      if (entry?.kind !== 'file') return void sftp.status(reqId, STATUS_CODE.FAILURE);
      sftp.attrs(reqId, attributes(await entry.file.stat()));
    }),
  );

  sftp.on('CLOSE', (reqId, handle) =>
    run(reqId, async () => {
      const key = handle.toString('hex');
      const entry = handles.get(key);
      if (!entry) return void sftp.status(reqId, STATUS_CODE.FAILURE);
      handles.delete(key);
      if (entry.kind === 'file') await entry.file.close();
      sftp.status(reqId, STATUS_CODE.OK);
    }),
  );

  sftp.on('OPENDIR', (reqId, path) =>
    run(reqId, async () => {
      const real = toReal(path);
      if (!(await stat(real)).isDirectory()) return void sftp.status(reqId, STATUS_CODE.FAILURE);
      sftp.handle(reqId, newHandle({ kind: 'dir', path: real, listed: false }));
    }),
  );

  sftp.on('READDIR', (reqId, handle) =>
    run(reqId, async () => {
      const entry = handles.get(handle.toString('hex'));
      if (entry?.kind !== 'dir') return void sftp.status(reqId, STATUS_CODE.FAILURE);
      if (entry.listed) return void sftp.status(reqId, STATUS_CODE.EOF);
      entry.listed = true;
      const names = (await readdir(entry.path)).filter((n) => !isHidden(n)).sort();
      const entries = await Promise.all(
        names.map(async (name) => {
          const stats = await stat(join(entry.path, name));
          return { filename: name, longname: longname(name, stats), attrs: attributes(stats) };
        }),
      );
      if (entries.length === 0) return void sftp.status(reqId, STATUS_CODE.EOF);
      sftp.name(reqId, entries);
    }),
  );

  sftp.on('REMOVE', (reqId, path) =>
    run(reqId, async () => {
      await unlink(toReal(path));
      sftp.status(reqId, STATUS_CODE.OK);
    }),
  );

  sftp.on('RENAME', (reqId, oldPath, newPath) =>
    run(reqId, async () => {
      // SFTP v3 rename does not overwrite an existing file.
      const target = toReal(newPath);
      const exists = await stat(target).then(
        () => true,
        () => false,
      );
      if (exists) return void sftp.status(reqId, STATUS_CODE.FAILURE, 'Target file exists');
      await rename(toReal(oldPath), target);
      sftp.status(reqId, STATUS_CODE.OK);
    }),
  );

  sftp.on('MKDIR', (reqId, path) =>
    run(reqId, async () => {
      await mkdir(toReal(path));
      sftp.status(reqId, STATUS_CODE.OK);
    }),
  );

  sftp.on('RMDIR', (reqId, path) =>
    run(reqId, async () => {
      await rmdir(toReal(path));
      sftp.status(reqId, STATUS_CODE.OK);
    }),
  );

  sftp.on('SETSTAT', (reqId) => sftp.status(reqId, STATUS_CODE.OK));
  sftp.on('FSETSTAT', (reqId) => sftp.status(reqId, STATUS_CODE.OK));

  sftp.on('close', () => {
    for (const entry of handles.values())
      if (entry.kind === 'file') void entry.file.close().catch(() => undefined);
    handles.clear();
  });
}
