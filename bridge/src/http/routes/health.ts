import { Router } from 'express';
import type { BridgeMetrics } from '../../shared/metrics.js';
import type { ReadinessRegistry } from '../readiness.js';

// Probes for orchestrators and Prometheus. /healthz: the process answers. /readyz: the store and every
// registered dependency answer (503 otherwise, and while shutting down). /metrics: Prometheus text.

export function healthRoutes(deps: {
  readiness: ReadinessRegistry;
  metrics: BridgeMetrics;
  metricsEnabled: boolean;
  isStopping: () => boolean;
  startedAt: Date;
}): Router {
  const router = Router();

  router.get('/healthz', (_request, response) => {
    response.json({
      status: 'ok',
      uptimeSeconds: Math.round((Date.now() - deps.startedAt.getTime()) / 1000),
    });
  });

  router.get('/readyz', async (_request, response) => {
    if (deps.isStopping()) {
      response.status(503).json({ status: 'stopping', checks: {} });
      return;
    }
    const report = await deps.readiness.run();
    response
      .status(report.ready ? 200 : 503)
      .json({ status: report.ready ? 'ready' : 'not_ready', checks: report.checks });
  });

  if (deps.metricsEnabled) {
    router.get('/metrics', async (_request, response) => {
      const { contentType, body } = await deps.metrics.render();
      response.type(contentType).send(body);
    });
  }
  return router;
}
