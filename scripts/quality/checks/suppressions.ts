import { readFile } from 'node:fs/promises';
import { listFiles, relativePath } from './files.js';
import { type Check, type Finding } from './types.js';

/**
 * Every way of silencing a finding must say why, so a reviewer can judge it:
 * - Apex `@SuppressWarnings('PMD...')`: a `//` comment directly above it (other annotations may sit
 *   between) or at the end of its line;
 * - `// NOPMD` and `code-analyzer-suppress(...)` markers: the reason follows the marker on its line.
 * A reason is at least three words.
 */
export const suppressionsCheck: Check = {
  id: 'suppressions',
  title: 'Suppressions have reasons',
  async run(context) {
    const files = await listFiles(context.forceAppDir, (name) => /\.(cls|trigger|js|html)$/.test(name));
    const findings: Finding[] = [];
    let suppressions = 0;
    for (const file of files) {
      const found = findUnexplainedSuppressions(await readFile(file, 'utf8'));
      suppressions += found.total;
      for (const problem of found.problems)
        findings.push({ file: relativePath(context.root, file), ...problem });
    }
    return {
      findings,
      summary: `${suppressions} suppression${suppressions === 1 ? '' : 's'} in ${files.length} files`,
    };
  },
};

const SUPPRESS_WARNINGS = /@SuppressWarnings\s*\(/i;
const NOPMD = /\/\/.*?\bNOPMD\b(.*)$/;
const CODE_ANALYZER_MARKER = /code-analyzer-suppress(?:\([^)]*\))?(.*)$/i;

export function isReason(text: string | undefined): boolean {
  const words = (text ?? '')
    .replace(/^[\s:\-–—,.]+/, '')
    .replace(/\*\/\s*$/, '')
    .trim()
    .split(/\s+/)
    .filter((word) => /\w/.test(word));
  return words.length >= 3;
}

export function findUnexplainedSuppressions(source: string): {
  total: number;
  problems: { line: number; message: string }[];
} {
  const lines = source.split(/\r?\n/);
  const problems: { line: number; message: string }[] = [];
  let total = 0;
  lines.forEach((text, index) => {
    const line = index + 1;
    if (SUPPRESS_WARNINGS.test(text)) {
      total++;
      const trailing = /\)\s*\/\/(.*)$/.exec(text)?.[1];
      if (!isReason(trailing) && !isReason(commentAbove(lines, index))) {
        problems.push({
          line,
          message: '@SuppressWarnings without a reason: put a // comment saying why directly above it',
        });
      }
      return;
    }
    const nopmd = NOPMD.exec(text);
    if (nopmd) {
      total++;
      if (!isReason(nopmd[1]))
        problems.push({ line, message: 'NOPMD without a reason: write why after NOPMD' });
      return;
    }
    const marker = CODE_ANALYZER_MARKER.exec(text);
    if (marker && /\/\/|\/\*|<!--|^\s*\*/.test(text)) {
      total++;
      if (!isReason(marker[1]?.replace(/-->\s*$/, ''))) {
        problems.push({
          line,
          message: 'code-analyzer-suppress without a reason: write why after the marker',
        });
      }
    }
  });
  return { total, problems };
}

/** The `//` comment lines directly above an annotation, skipping other annotations in between. */
function commentAbove(lines: string[], index: number): string | undefined {
  let i = index - 1;
  while (i >= 0 && /^\s*@\w+/.test(lines[i] ?? '')) i--;
  const comment: string[] = [];
  while (i >= 0) {
    const match = /^\s*\/\/(.*)$/.exec(lines[i] ?? '');
    if (!match) break;
    comment.unshift(match[1] ?? '');
    i--;
  }
  return comment.length ? comment.join(' ') : undefined;
}
