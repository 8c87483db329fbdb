import { readFile } from 'node:fs/promises';
import { XMLValidator } from 'fast-xml-parser';
import { listFiles, relativePath } from './files.js';
import { type Check, type Finding } from './types.js';

/** Every XML file of the package parses: a broken meta file fails a deploy with a far worse message. */
export const xmlWellFormedCheck: Check = {
  id: 'xml',
  title: 'Metadata XML well formed',
  async run(context) {
    const files = await listFiles(context.forceAppDir, (name) => name.endsWith('.xml'));
    const findings: Finding[] = [];
    for (const file of files) {
      const result = XMLValidator.validate(await readFile(file, 'utf8'));
      if (result !== true) {
        findings.push({
          file: relativePath(context.root, file),
          line: result.err.line,
          message: result.err.msg,
        });
      }
    }
    return { findings, summary: `${files.length} XML files parsed` };
  },
};
