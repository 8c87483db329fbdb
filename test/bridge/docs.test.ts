import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { variables } from '../../bridge/src/config/variables.js';
import { BridgeMetrics } from '../../bridge/src/shared/metrics.js';

// The operations guide is what operators trust: it must name every variable the bridge reads, with
// its real default, and every metric it exports.

const guide = readFileSync(new URL('../../docs/bridge-operations.md', import.meta.url), 'utf8');
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  scripts: Record<string, string>;
};

describe('docs/bridge-operations.md', () => {
  it('documents every configuration variable with its default', () => {
    for (const spec of variables) {
      const row = guide.split('\n').find((line) => new RegExp(`^\\|\\s*\`${spec.name}\`\\s*\\|`).test(line));
      expect(row, `${spec.name} has no row in the configuration table`).toBeDefined();
      const documentedDefault = row!.split('|')[2]!.trim();
      expect(documentedDefault, `${spec.name} default`).toBe(
        spec.default === undefined ? '—' : `\`${spec.default}\``,
      );
    }
  });

  it('documents every metric the bridge exports', async () => {
    const metrics = new BridgeMetrics();
    const names = (await metrics.registry.getMetricsAsJSON()).map((metric) => metric.name);
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) {
      expect(guide, `${name} is not documented`).toMatch(new RegExp(`^\\|\\s*\`${name}\`\\s*\\|`, 'm'));
    }
  });
});

// The README is the first thing a newcomer trusts: what it names must exist.
describe('README.md', () => {
  it('names only configuration variables the bridge reads', () => {
    const known = new Set(variables.map((spec) => spec.name));
    const named = [...readme.matchAll(/`((?:SALESFORCE|RESPONSYS|BRIDGE)_[A-Z_]+|DATABASE_URL)`/g)].map(
      (match) => match[1]!,
    );
    expect(named.length).toBeGreaterThan(8);
    expect(named.filter((name) => !known.has(name))).toEqual([]);
  });

  it('links only to pages that exist', () => {
    const links = [...readme.matchAll(/\]\(([^)#]+)(?:#[^)]*)?\)/g)].map((match) => match[1]!);
    expect(links.length).toBeGreaterThan(5);
    expect(links.filter((link) => !existsSync(new URL(`../../${link}`, import.meta.url)))).toEqual([]);
  });

  it('shows only npm scripts the project has', () => {
    const scripts = [...readme.matchAll(/npm (?:run )?([a-z:]+)/g)]
      .map((match) => match[1]!)
      .filter((name) => !['install', 'run'].includes(name));
    expect(scripts).toEqual(expect.arrayContaining(['start', 'test', 'bench', 'preview', 'emulators']));
    expect(scripts.filter((name) => !packageJson.scripts[name])).toEqual([]);
  });
});
