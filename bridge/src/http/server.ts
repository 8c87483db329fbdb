import { randomUUID } from 'node:crypto';
import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { AdminService } from '../admin/admin-service.js';
import { withCorrelation } from '../shared/correlation.js';
import type { Logger } from '../shared/logger.js';
import type { BridgeMetrics } from '../shared/metrics.js';
import { requireAdminToken } from './admin-auth.js';
import { errorHandler, notFound } from './errors.js';
import type { ReadinessRegistry } from './readiness.js';
import type { RouteRegistry } from './route-registry.js';
import { adminRoutes } from './routes/admin.js';
import { healthRoutes } from './routes/health.js';

// The bridge's Express application: probes, metrics, the admin API and the routes other parts of the
// bridge mounted (webhooks, flow triggers). Every request gets a request id (x-request-id, taken from
// the caller when it sends a sane one) that is on every log line written while handling it.

export interface HttpDependencies {
  logger: Logger;
  metrics: BridgeMetrics;
  readiness: ReadinessRegistry;
  routes: RouteRegistry;
  admin: AdminService;
  adminToken: string;
  bodyLimit: string;
  metricsEnabled: boolean;
  isStopping: () => boolean;
  startedAt: Date;
}

const quietPaths = new Set(['/healthz', '/readyz', '/metrics']);

function requestContext(logger: Logger): RequestHandler {
  return (request, response, next) => {
    const incoming = request.get('x-request-id');
    const requestId = incoming && /^[\w.:-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    response.setHeader('x-request-id', requestId);
    const started = process.hrtime.bigint();
    // Routers rewrite request.path; the original URL is what the caller asked for (query left out: it may carry data).
    const path = request.originalUrl.split('?')[0];
    response.on('finish', () => {
      const durationMs = Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100;
      const line = { requestId, method: request.method, path, status: response.statusCode, durationMs };
      if (quietPaths.has(path!) && response.statusCode < 500) logger.debug(line, 'http request');
      else logger.info(line, 'http request');
    });
    withCorrelation({ requestId }, () => next());
  };
}

export function createHttpApp(deps: HttpDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(helmet());
  app.use(requestContext(deps.logger));
  app.use(
    healthRoutes({
      readiness: deps.readiness,
      metrics: deps.metrics,
      metricsEnabled: deps.metricsEnabled,
      isStopping: deps.isStopping,
      startedAt: deps.startedAt,
    }),
  );

  const mounted = deps.routes.seal();
  const api = express.Router();
  api.use(requireAdminToken(deps.adminToken));
  api.use(express.json({ limit: deps.bodyLimit }));
  api.use(adminRoutes(deps.admin));
  for (const { path, router } of mounted.admin) api.use(path, router);
  app.use('/api/v1', api);
  for (const { path, router } of mounted.public) app.use(path, router);

  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
