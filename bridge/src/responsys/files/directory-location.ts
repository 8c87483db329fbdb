import { createReadStream } from 'node:fs';
import { access, mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { isVisibleFileName, type FileLocation, type RemoteFile } from './location.js';

/** Export files in a local directory. */
export class DirectoryLocation implements FileLocation {
  readonly description: string;

  constructor(private readonly path: string) {
    this.description = path;
  }

  async list(): Promise<RemoteFile[]> {
    const entries = await readdir(this.path, { withFileTypes: true });
    const files: RemoteFile[] = [];
    for (const entry of entries) {
      if (!entry.isFile() || !isVisibleFileName(entry.name)) continue;
      try {
        const info = await stat(join(this.path, entry.name));
        files.push({ name: entry.name, size: info.size, modifiedAt: info.mtime });
      } catch (error) {
        // moved away by another reader between readdir and stat
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return files;
  }

  async read(name: string, start = 0): Promise<Readable> {
    const path = this.pathOf(name);
    await access(path);
    return createReadStream(path, { start });
  }

  async moveToFolder(name: string, folder: string): Promise<string> {
    const target = join(this.path, folder);
    await mkdir(target, { recursive: true });
    let destination = join(target, name);
    for (let n = 1; await exists(destination); n += 1) destination = join(target, `${name}.${n}`);
    await rename(this.pathOf(name), destination);
    return destination;
  }

  async remove(name: string): Promise<void> {
    await unlink(this.pathOf(name));
  }

  async close(): Promise<void> {}

  private pathOf(name: string): string {
    if (!isVisibleFileName(name)) throw new Error(`"${name}" is not a file name in ${this.path}`);
    return join(this.path, name);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
