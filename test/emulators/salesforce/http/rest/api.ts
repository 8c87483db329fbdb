import type { SalesforceOrg } from '../../org.js';
import { registerBulk2Routes } from './bulk2.js';
import { registerCollectionRoutes } from './collections.js';
import { registerCompositeRoutes } from './composite.js';
import { registerQueryRoutes } from './query.js';
import { RestRouter } from './router.js';
import { registerSObjectRoutes } from './sobjects.js';

// Every resource below `/services/data/vXX.X`.

/** API versions served, oldest to newest (v31.0 Summer '14 ... v66.0 Spring '26). */
export const OLDEST_API_VERSION = 31;
export const LATEST_API_VERSION = 66;

export function releaseLabel(version: number): string {
  const k = version - 62;
  const season = ['Winter', 'Spring', 'Summer'][((k % 3) + 3) % 3]!;
  const year = 25 + Math.floor(k / 3);
  return `${season} '${String(year).padStart(2, '0')}`;
}

export function apiVersions(): Array<{ label: string; url: string; version: string }> {
  const out = [];
  for (let v = OLDEST_API_VERSION; v <= LATEST_API_VERSION; v++) {
    out.push({ label: releaseLabel(v), url: `/services/data/v${v}.0`, version: `${v}.0` });
  }
  return out;
}

export function isSupportedVersion(version: string): boolean {
  const m = /^(\d+)\.0$/.exec(version);
  return !!m && Number(m[1]) >= OLDEST_API_VERSION && Number(m[1]) <= LATEST_API_VERSION;
}

export function buildRestApi(org: SalesforceOrg): RestRouter {
  const router = new RestRouter();
  router.add('GET', '/', 'resources', (req) => {
    const base = `/services/data/v${req.version}`;
    return {
      status: 200,
      body: {
        sobjects: `${base}/sobjects`,
        query: `${base}/query`,
        queryAll: `${base}/queryAll`,
        composite: `${base}/composite`,
        limits: `${base}/limits`,
        jobs: `${base}/jobs`,
        identity: `${org.url}/id/${org.orgId}/${req.session.userId}`,
      },
    };
  });
  router.add('GET', '/limits', 'limits', () => {
    org.limits.setGauge('DataStorageMB', Math.ceil((org.recordCount() * 2) / 1024));
    return { status: 200, body: org.limits.snapshot() };
  });
  registerSObjectRoutes(router, org);
  registerQueryRoutes(router, org);
  registerCollectionRoutes(router, org);
  registerCompositeRoutes(router, org);
  registerBulk2Routes(router, org);
  return router;
}
