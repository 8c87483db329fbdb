import type { IncomingMessage } from 'node:http';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { faultInjection } from '../../shared/faults.js';
import type { ResponsysControl } from '../control/handle.js';
import { controlRoutes } from '../control/routes.js';
import type { ResponsysCore } from '../core.js';
import { listRoutes } from '../lists/routes.js';
import { notificationRoutes } from '../notifications/routes.js';
import { programRoutes } from '../programs/routes.js';
import { authRoutes } from '../auth/routes.js';
import { supplementalTableRoutes } from '../supplemental/routes.js';
import { addLatency, countCalls, renderServiceFault } from './route.js';
import { errors, gatewayHeaders, sendError, sendNotFoundPage } from './wire.js';

/** JSON bodies are parsed when declared as JSON or not declared at all (some clients omit it). */
function isJsonOrUndeclared(req: IncomingMessage): boolean {
  const type = req.headers['content-type'];
  return type === undefined || /^application\/(.+\+)?json\b/i.test(type);
}

export function createResponsysApp(core: ResponsysCore, control: ResponsysControl): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use(gatewayHeaders);
  app.use('/__control', controlRoutes(control));

  app.use(countCalls(core));
  app.use(addLatency(core));
  app.use(faultInjection(core.faults, renderServiceFault(core)));
  // The gateway drops oversized requests without an answer; Content-Length is checked before reading.
  app.use((req: Request, _res: Response, next: NextFunction) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > core.maxPayloadBytes) return void req.socket.destroy();
    next();
  });
  app.use(express.urlencoded({ extended: false, limit: core.maxPayloadBytes }));
  app.use(express.json({ limit: core.maxPayloadBytes, type: isJsonOrUndeclared }));

  app.use(authRoutes(core));
  app.use(listRoutes(core));
  app.use(supplementalTableRoutes(core));
  app.use(programRoutes(core));
  app.use(notificationRoutes(core));

  app.use((_req: Request, res: Response) => sendNotFoundPage(res));
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const bodyError = error as { type?: string; message?: string };
    if (bodyError?.type === 'entity.too.large') return void req.socket.destroy();
    if (bodyError?.type === 'entity.parse.failed') {
      return sendError(res, errors.invalidRequestContent('The request body is not valid JSON'));
    }
    sendError(res, errors.unexpected(bodyError?.message ?? 'Unexpected error'));
  });
  return app;
}
