import { readFile } from 'node:fs/promises';
import * as prettier from 'prettier';
import { listApexFiles, relativePath } from './files.js';
import { type Check, type Finding } from './types.js';

/**
 * Apex is formatted by Prettier with prettier-plugin-apex, under the repository's .prettierrc.json.
 * `npm run format:check` covers the whole tree; the gate repeats it for Apex so the package check
 * stands on its own (and fails loudly if the plugin ever drops out of the Prettier config).
 */
export const apexFormatCheck: Check = {
  id: 'apex-format',
  title: 'Apex formatting (Prettier)',
  async run(context) {
    const files = await listApexFiles(context.forceAppDir);
    const findings: Finding[] = [];
    for (const file of files) {
      const options = await prettier.resolveConfig(file);
      if (!options?.plugins?.some((plugin) => String(plugin).includes('prettier-plugin-apex'))) {
        findings.push({
          file: relativePath(context.root, file),
          message: 'no Prettier config with prettier-plugin-apex applies to this file',
        });
        continue;
      }
      const source = await readFile(file, 'utf8');
      if (!(await prettier.check(source, { ...options, filepath: file }))) {
        findings.push({
          file: relativePath(context.root, file),
          message: 'not formatted: run npx prettier --write on it',
        });
      }
    }
    return { findings, summary: `${files.length} classes and triggers checked` };
  },
};
