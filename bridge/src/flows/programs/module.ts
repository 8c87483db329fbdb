import { Router } from 'express';
import type { BridgeModule } from '../../module.js';
import { ProgramEnroller } from './enrolment.js';
import { ProgramRouteCatalog } from './route-catalog.js';

// Installs what F1 and F3 share: the program routes from Salesforce custom metadata (service
// `programRoutes`, read again with the field maps, every BRIDGE_FIELD_MAP_REFRESH_SECONDS) and the
// program enroller (service `programEnroller`). Admins see the routes in use and every unusable one at
// GET /api/v1/program-routes, and reload them at once with POST /api/v1/program-routes/refresh.

declare module '../../module.js' {
  interface BridgeServices {
    programRoutes: ProgramRouteCatalog;
    programEnroller: ProgramEnroller;
  }
}

export const programsModule: BridgeModule = {
  name: 'programs',
  register(context) {
    const { services } = context;
    if (!services.has('salesforce') || !services.has('responsys')) return;
    const salesforce = services.get('salesforce');
    const responsys = services.get('responsys');
    const catalog = new ProgramRouteCatalog({
      salesforce: { query: (soql) => salesforce.query(soql, { priority: 'urgent' }) },
      responsys: { listCustomEvents: () => responsys.listCustomEvents() },
      refreshMs: context.config.mapping.refreshSeconds * 1000,
      logger: context.logger.child({ component: 'program-routes' }),
      clock: context.clock,
    });
    services.provide('programRoutes', catalog);
    services.provide(
      'programEnroller',
      new ProgramEnroller({
        enrollments: context.store.enrollments,
        responsys,
        now: () => context.clock.now(),
      }),
    );

    const describe = () => {
      const state = catalog.describe();
      return {
        loadedAt: state.loadedAt?.toISOString() ?? null,
        lastError: state.lastError,
        routes: state.routes,
        problems: state.problems,
      };
    };
    const router = Router();
    router.get('/', async (_request, response) => {
      await catalog.routes().catch(() => undefined);
      response.json(describe());
    });
    router.post('/refresh', async (_request, response) => {
      await catalog.refresh();
      response.json(describe());
    });
    context.http.mountAdmin('/program-routes', router);
  },
};
