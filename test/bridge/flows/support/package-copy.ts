import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// A copy of the Salesforce package with custom metadata edited, as an admin would in Setup, for an
// emulator started with `forceAppDir`. Custom metadata records cannot be written through the API.

const repoForceApp = resolve(import.meta.dirname, '../../../../force-app');

export interface EditedPackage {
  dir: string;
  remove(): void;
}

/** Sets `Transform__c` (or another field) of field-map records, e.g. { Lead_LeadSource: { Transform__c: 'map:Web=WEB' } }. */
export function packageWithFieldMaps(edits: Record<string, Record<string, string>>): EditedPackage {
  const root = mkdtempSync(join(tmpdir(), 'force-app-'));
  const dir = join(root, 'force-app');
  cpSync(repoForceApp, dir, { recursive: true });
  for (const [record, fields] of Object.entries(edits)) {
    const file = join(dir, 'main/default/customMetadata', `Responsys_Field_Map.${record}.md-meta.xml`);
    let xml = readFileSync(file, 'utf8');
    for (const [field, value] of Object.entries(fields)) {
      const pattern = new RegExp(`(<field>${field}</field>\\s*<value xsi:type="xsd:string">)[^<]*(</value>)`);
      if (!pattern.test(xml)) throw new Error(`${record} has no string field ${field}`);
      xml = xml.replace(pattern, `$1${value}$2`);
    }
    writeFileSync(file, xml);
  }
  return { dir, remove: () => rmSync(root, { recursive: true, force: true }) };
}
