import { Router } from 'express';
import type { BridgeModule } from '../module.js';
import type { FieldMapSource } from './field-map.js';
import { MappingEngine } from './engine.js';

// Installs the mapping engine as the `mapping` service. The field maps come from the `fieldMapSource`
// service (the Salesforce connector provides it) and are validated against the Responsys profile list;
// they are read again every BRIDGE_FIELD_MAP_REFRESH_SECONDS. Operators see the maps in use and every
// problem at GET /api/v1/field-maps, and can reload at once with POST /api/v1/field-maps/refresh.

declare module '../module.js' {
  interface BridgeServices {
    mapping: MappingEngine;
    fieldMapSource: FieldMapSource;
  }
}

export const mappingModule: BridgeModule = {
  name: 'mapping',
  register(context) {
    const engine = new MappingEngine({
      salesforce: () => context.services.get('fieldMapSource'),
      responsys: () => context.services.get('responsys'),
      logger: context.logger.child({ component: 'mapping' }),
      clock: context.clock,
      listName: context.config.responsys.profileList,
    });
    context.services.provide('mapping', engine);

    context.readiness.add(
      'field-maps',
      () => {
        const status = engine.status();
        const errors = status.problems.filter((problem) => problem.severity === 'error').length;
        if (!status.loaded) return { ok: false, detail: status.lastFailure?.message ?? 'not loaded yet' };
        const detail =
          `${status.maps} maps in use, ${errors} with errors, ` +
          `${status.problems.length - errors} warnings (GET /api/v1/field-maps)` +
          (status.lastFailure ? `; the last refresh failed: ${status.lastFailure.message}` : '');
        return { ok: errors === 0, detail };
      },
      { critical: false },
    );

    const router = Router();
    router.get('/', (_req, res) => {
      res.json(describe(engine));
    });
    router.post('/refresh', async (_req, res) => {
      await engine.refresh();
      res.json(describe(engine));
    });
    context.http.mountAdmin('/field-maps', router);
  },

  start(context) {
    const engine = context.services.get('mapping');
    if (!context.services.has('fieldMapSource') || !context.services.has('responsys')) {
      context.logger.warn(
        'Field maps are not loaded: the bridge runs without a Salesforce or Responsys connector',
      );
      return;
    }
    const refresh = () => void engine.refresh().catch(() => undefined);
    refresh();
    const timer = setInterval(refresh, context.config.mapping.refreshSeconds * 1000);
    timer.unref();
    context.onShutdown(() => clearInterval(timer));
  },
};

function describe(engine: MappingEngine) {
  const status = engine.status();
  return {
    loaded: status.loaded,
    loadedAt: status.loadedAt?.toISOString() ?? null,
    lastFailure: status.lastFailure
      ? { at: status.lastFailure.at.toISOString(), message: status.lastFailure.message }
      : null,
    problems: status.problems,
    maps: engine.loadedMaps().map((map) => ({
      name: map.name,
      object: map.object,
      direction: map.direction,
      salesforceField: map.salesforcePath,
      target: map.target,
      column: map.column,
      transform: map.transform.expression,
    })),
  };
}
