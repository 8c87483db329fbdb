import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lineOf, listFiles } from './files.js';

// Finds the custom object, field, event and custom metadata names that code refers to, so the gate can
// prove each one exists in force-app. Comments are blanked out first: a name in a comment is prose.

export type SourceLanguage = 'apex' | 'script' | 'html';

export interface NameReference {
  name: string;
  file: string;
  line: number;
  /** Apex resolves names case-insensitively; JavaScript and TypeScript read JSON keys exactly. */
  caseSensitive: boolean;
}

const CUSTOM_NAME = /\b[A-Za-z][A-Za-z0-9_]*?__(?:c|e|mdt|r)\b/g;

/** Source with comments replaced by spaces (line breaks kept, so line numbers stay right). */
export function blankComments(source: string, language: SourceLanguage): string {
  const out = source.split('');
  const blank = (from: number, to: number) => {
    for (let i = from; i < to; i++) if (out[i] !== '\n') out[i] = ' ';
  };
  if (language === 'html') {
    for (const match of source.matchAll(/<!--[\s\S]*?(?:-->|$)/g))
      blank(match.index, match.index + match[0].length);
    return out.join('');
  }
  const quotes = language === 'apex' ? new Set(["'"]) : new Set(["'", '"', '`']);
  let i = 0;
  while (i < source.length) {
    const char = source[i] as string;
    const next = source[i + 1];
    if (quotes.has(char)) {
      i++;
      while (i < source.length && source[i] !== char && !(char !== '`' && source[i] === '\n')) {
        i += source[i] === '\\' ? 2 : 1;
      }
      i++;
    } else if (char === '/' && next === '/') {
      const end = source.indexOf('\n', i);
      const stop = end < 0 ? source.length : end;
      blank(i, stop);
      i = stop;
    } else if (char === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end < 0 ? source.length : end + 2;
      blank(i, stop);
      i = stop;
    } else {
      i++;
    }
  }
  return out.join('');
}

export function findNameReferences(source: string, language: SourceLanguage, file: string): NameReference[] {
  const code = blankComments(source, language);
  const references: NameReference[] = [];
  for (const match of code.matchAll(CUSTOM_NAME)) {
    references.push({
      name: match[0],
      file,
      line: lineOf(code, match.index),
      caseSensitive: language !== 'apex',
    });
  }
  return references;
}

/**
 * Where names are referenced: Apex and LWC in force-app, the bridge's source, and the emulators'
 * source (their tests may name fields that must not exist, on purpose, so they are left out).
 */
export async function collectNameReferences(root: string, forceAppDir: string): Promise<NameReference[]> {
  const sources: { file: string; language: SourceLanguage }[] = [];
  for (const file of await listFiles(forceAppDir, (name) => /\.(cls|trigger)$/.test(name))) {
    sources.push({ file, language: 'apex' });
  }
  const lwcFiles = await listFiles(forceAppDir, (name) => /\.(js|html)$/.test(name));
  for (const file of lwcFiles.filter((path) => /[\\/]lwc[\\/]/.test(path))) {
    sources.push({ file, language: file.endsWith('.html') ? 'html' : 'script' });
  }
  const isSource = (name: string) =>
    /\.(ts|js|mjs)$/.test(name) && !/\.test\.[tj]s$/.test(name) && !name.endsWith('.d.ts');
  for (const dir of [join(root, 'bridge', 'src'), join(root, 'test', 'emulators')]) {
    for (const file of await listFiles(dir, isSource)) sources.push({ file, language: 'script' });
  }
  const references: NameReference[] = [];
  for (const source of sources) {
    references.push(...findNameReferences(await readFile(source.file, 'utf8'), source.language, source.file));
  }
  return references;
}
