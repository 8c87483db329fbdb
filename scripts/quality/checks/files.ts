import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git', '.sf', '.sfdx', 'dist', 'coverage']);

/** Every file below dir (recursively) whose name passes the filter; missing dir gives []. */
export async function listFiles(dir: string, accept: (name: string) => boolean): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const found: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name)) found.push(...(await listFiles(path, accept)));
    } else if (entry.isFile() && accept(entry.name)) {
      found.push(path);
    }
  }
  return found.sort();
}

export function listApexFiles(forceAppDir: string): Promise<string[]> {
  return listFiles(forceAppDir, (name) => name.endsWith('.cls') || name.endsWith('.trigger'));
}

/** Project-relative path with forward slashes, for stable messages on every OS. */
export function relativePath(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}

export function lineOf(source: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index && i < source.length; i++) if (source.charCodeAt(i) === 10) line++;
  return line;
}
