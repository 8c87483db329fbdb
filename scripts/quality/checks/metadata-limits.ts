import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { listFiles, relativePath } from './files.js';
import { type Check, type Finding } from './types.js';

// Salesforce rejects a deploy when a label, description or help text is longer than the Metadata API
// allows, or an API name is too long; nothing else here would notice before an admin's deploy fails.
// Limits from the Metadata API reference (CustomField, CustomObject, PermissionSet, CustomPermission,
// CustomMetadata, ListView).

interface Limits {
  /** Longest API name without its suffix (`__c`, `__e`, `__mdt`). */
  apiName?: number;
  text: Record<string, number>;
}

const LIMITS: Array<{ suffix: string; limits: Limits }> = [
  {
    suffix: '.field-meta.xml',
    limits: { apiName: 40, text: { label: 40, description: 1000, inlineHelpText: 510 } },
  },
  {
    suffix: '.object-meta.xml',
    limits: { apiName: 40, text: { label: 40, pluralLabel: 40, description: 1000 } },
  },
  { suffix: '.permissionset-meta.xml', limits: { text: { label: 80, description: 255 } } },
  { suffix: '.customPermission-meta.xml', limits: { text: { label: 80, description: 255 } } },
  { suffix: '.md-meta.xml', limits: { text: { label: 40 } } },
  { suffix: '.listView-meta.xml', limits: { text: { label: 40 } } },
];

const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: false });

function apiNameOf(file: string, suffix: string): string {
  return basename(file, suffix).replace(/__(c|e|mdt|x|b)$/, '');
}

export const metadataLimitsCheck: Check = {
  id: 'limits',
  title: 'Metadata text and name limits',
  async run(context) {
    const files = await listFiles(context.forceAppDir, (name) =>
      LIMITS.some(({ suffix }) => name.endsWith(suffix)),
    );
    const findings: Finding[] = [];
    for (const file of files) {
      const { suffix, limits } = LIMITS.find(({ suffix }) => file.endsWith(suffix))!;
      const where = relativePath(context.root, file);
      const name = apiNameOf(file, suffix);
      if (limits.apiName && name.length > limits.apiName) {
        findings.push({
          file: where,
          message: `API name ${name} has ${name.length} characters; Salesforce allows ${limits.apiName}`,
        });
      }
      const document = parser.parse(await readFile(file, 'utf8')) as Record<string, Record<string, unknown>>;
      const root = Object.values(document).find((value) => typeof value === 'object') ?? {};
      for (const [element, max] of Object.entries(limits.text)) {
        const value = root[element];
        if (typeof value === 'string' && value.length > max) {
          findings.push({
            file: where,
            message: `<${element}> has ${value.length} characters; Salesforce allows ${max}`,
          });
        }
      }
    }
    return { findings, summary: `${files.length} metadata files within Salesforce's limits` };
  },
};
