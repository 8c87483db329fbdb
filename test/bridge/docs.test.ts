import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { variables } from '../../bridge/src/config/variables.js';
import { BridgeMetrics } from '../../bridge/src/shared/metrics.js';

// The operations guide is what operators trust: it must name every variable the bridge reads, with
// its real default, and every metric it exports.

const guide = readFileSync(new URL('../../docs/bridge-operations.md', import.meta.url), 'utf8');

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
