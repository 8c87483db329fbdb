import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CLASSES = 'force-app/main/default/classes';

const APEX_CLASS_META =
  '<?xml version="1.0" encoding="UTF-8"?>\n<ApexClass xmlns="http://soap.sforce.com/2006/04/metadata">\n' +
  '    <apiVersion>62.0</apiVersion>\n    <status>Active</status>\n</ApexClass>\n';

/** A throwaway project the gate can be pointed at, so tests break copies and never the real tree. */
export interface FixtureProject {
  root: string;
  write(relativePath: string, content: string): Promise<void>;
  read(relativePath: string): Promise<string>;
  remove(relativePath: string): Promise<void>;
  addApexClass(name: string, source: string): Promise<void>;
  dispose(): Promise<void>;
}

async function createProject(populate: (root: string) => Promise<void>): Promise<FixtureProject> {
  const root = await mkdtemp(join(tmpdir(), 'salesforce-gate-test-'));
  // Prettier loads prettier-plugin-apex relative to the config file, so the copy shares node_modules.
  await symlink(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  await populate(root);
  const project: FixtureProject = {
    root,
    async write(relativePath, content) {
      await mkdir(dirname(join(root, relativePath)), { recursive: true });
      await writeFile(join(root, relativePath), content);
    },
    read: (relativePath) => readFile(join(root, relativePath), 'utf8'),
    remove: (relativePath) => rm(join(root, relativePath), { recursive: true, force: true }),
    async addApexClass(name, source) {
      await project.write(`${CLASSES}/${name}.cls`, source);
      await project.write(`${CLASSES}/${name}.cls-meta.xml`, APEX_CLASS_META);
    },
    dispose: () => rm(root, { recursive: true, force: true }),
  };
  return project;
}

/** A copy of the real package: sfdx-project.json, force-app, the Prettier config and the contract names. */
export function copyOfRealPackage(): Promise<FixtureProject> {
  return createProject(async (root) => {
    for (const path of [
      'sfdx-project.json',
      'force-app',
      '.prettierrc.json',
      'scripts/quality/contract-names.json',
    ]) {
      await cp(join(REPO_ROOT, path), join(root, path), { recursive: true });
    }
  });
}

/** An empty Salesforce DX project (no package metadata), for checks that only need a class or two. */
export function emptyPackage(): Promise<FixtureProject> {
  return createProject(async (root) => {
    await cp(join(REPO_ROOT, 'sfdx-project.json'), join(root, 'sfdx-project.json'));
    await cp(join(REPO_ROOT, '.prettierrc.json'), join(root, '.prettierrc.json'));
    await mkdir(join(root, CLASSES), { recursive: true });
  });
}
