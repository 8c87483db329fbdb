import { readFile } from 'node:fs/promises';
import { ApexErrorListener, ApexParserFactory } from '@apexdevtools/apex-parser';
import { listApexFiles, relativePath } from './files.js';
import { type Check, type Finding } from './types.js';

class CollectingListener extends ApexErrorListener {
  readonly errors: { line: number; column: number; message: string }[] = [];

  apexSyntaxError(line: number, column: number, message: string): void {
    this.errors.push({ line, column, message });
  }
}

/** Parses every class and trigger with the Apex grammar of @apexdevtools/apex-parser. */
export const apexSyntaxCheck: Check = {
  id: 'apex-syntax',
  title: 'Apex syntax',
  async run(context) {
    const files = await listApexFiles(context.forceAppDir);
    const findings: Finding[] = [];
    for (const file of files) {
      const listener = new CollectingListener();
      const { parser } = ApexParserFactory.createLexerAndParser(await readFile(file, 'utf8'), listener);
      if (file.endsWith('.trigger')) parser.triggerUnit();
      else parser.compilationUnit();
      for (const error of listener.errors) {
        findings.push({
          file: relativePath(context.root, file),
          line: error.line,
          message: `column ${error.column + 1}: ${error.message}`,
        });
      }
    }
    return { findings, summary: `${files.length} classes and triggers parsed` };
  },
};
