import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { StreamingApi } from './index.js';

// `/__control/streaming/...`: inspect the Streaming API and force the failures real subscribers meet.
// Nothing like it exists on Salesforce, and the bridge never calls it.

const clientFilter = z
  .object({ clientId: z.string().min(1).optional(), username: z.string().min(3).optional() })
  .strict();

const expireFilter = z
  .object({ channel: z.string().startsWith('/').optional(), throughReplayId: z.number().int().optional() })
  .strict();

export function streamingControlRouter(streaming: StreamingApi): Router {
  const router = express.Router();
  router.use(express.json());

  const handle =
    <T extends z.ZodType>(schema: T, work: (input: z.infer<T>) => unknown) =>
    (req: Request, res: Response) => {
      const parsed = schema.safeParse(req.body ?? {});
      if (!parsed.success) {
        res.status(400).json({
          error: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
        });
        return;
      }
      res.json(work(parsed.data));
    };

  router.get('/', (_req, res) => {
    res.json(streaming.state());
  });
  router.post(
    '/clients/drop',
    handle(clientFilter, (filter) => ({ dropped: streaming.dropClients(filter) })),
  );
  router.post(
    '/clients/revoke-session',
    handle(clientFilter, (filter) => ({ revoked: streaming.revokeClientSessions(filter) })),
  );
  router.post(
    '/connections/drop',
    handle(clientFilter, (filter) => ({ dropped: streaming.dropConnections(filter) })),
  );
  router.post(
    '/connections/release',
    handle(clientFilter, (filter) => ({ released: streaming.releaseConnections(filter) })),
  );
  router.post(
    '/connections/lose-next-delivery',
    handle(clientFilter, (filter) => ({ armed: streaming.loseNextDelivery(filter) })),
  );
  router.post(
    '/events/expire',
    handle(expireFilter, (filter) => ({ expired: streaming.expireEvents(filter) })),
  );
  return router;
}
