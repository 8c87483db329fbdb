import type { Readable } from 'node:stream';

// Where Connect export files are picked up: a folder on an SFTP server (Responsys-hosted or the
// customer's) or a local directory (a mounted share, or a folder another job syncs). Both look the
// same to the readers: list the plain files, read one from a byte offset, move it aside when done.

export interface RemoteFile {
  name: string;
  size: number;
  modifiedAt: Date;
}

export interface FileLocation {
  /** for logs and errors: `sftp://user@host:22/path` (never a password) or the directory path */
  readonly description: string;
  /** The plain, visible files of the folder (no sub-folders, no hidden or partial files). */
  list(): Promise<RemoteFile[]>;
  /** A stream of the file's bytes from `start` (default 0). */
  read(name: string, start?: number): Promise<Readable>;
  /** Moves a file into a sub-folder (created when missing); never overwrites a file already there. */
  moveToFolder(name: string, folder: string): Promise<string>;
  remove(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Hidden files (`.name.part` while Connect or a sync job writes them) are never read. */
export function isVisibleFileName(name: string): boolean {
  return name !== '' && !name.startsWith('.') && !name.includes('/');
}
