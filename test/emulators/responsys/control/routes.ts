import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { faultRuleSchema } from '../../shared/faults.js';
import { EngagementRejected } from '../engagement/inject.js';
import { engagementRequestSchema, type EngagementInput } from '../engagement/events.js';
import { cedFeeds } from '../options.js';
import { ControlRequestError, profileUpdateSchema, type ResponsysControl } from './handle.js';
import { stateSections, type StateSection } from './state.js';

// `/__control/`: nothing here exists on the real service and the bridge never calls it. Bodies are
// validated with zod; a bad one is answered 400 with every problem listed.

const resetSchema = z.object({ demoData: z.boolean().optional() }).strict();
const exportSchema = z
  .object({ feeds: z.array(z.enum(cedFeeds)).min(1).optional(), profileLists: z.boolean().optional() })
  .strict();
const rateLimitsSchema = z.record(z.string(), z.number().int().nonnegative());

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) {
    throw new ControlRequestError(
      parsed.error.issues
        .map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`)
        .join('; '),
    );
  }
  return parsed.data;
}

export function controlRoutes(control: ResponsysControl): Router {
  const router = Router();
  router.use(express.json({ limit: '100mb' }));

  router.post('/reset', (req, res) => {
    control.reset(parse(resetSchema, req.body));
    res.json({ reset: true });
  });

  router.get('/state', (req, res) => {
    const requested = typeof req.query.sections === 'string' ? req.query.sections.split(',') : undefined;
    const unknown = requested?.filter((s) => !(stateSections as readonly string[]).includes(s)) ?? [];
    if (unknown.length > 0) {
      throw new ControlRequestError(
        `Unknown state section(s) ${unknown.join(', ')}; known: ${stateSections.join(', ')}`,
      );
    }
    res.json(control.state(requested as StateSection[] | undefined));
  });

  router.get('/faults', (_req, res) => {
    res.json({ faults: control.faults.list() });
  });
  router.post('/faults', (req, res) => {
    res.status(201).json(control.addFault(parse(faultRuleSchema, req.body)));
  });
  router.delete('/faults', (_req, res) => {
    control.faults.clear();
    res.json({ faults: [] });
  });

  router.post('/engagement', (req, res) => {
    // Each event is validated by the injection itself, so every problem comes back with its index.
    const { events } = parse(engagementRequestSchema, req.body);
    const injected = control.injectEngagement(events as EngagementInput[]);
    res.status(201).json({
      events: injected.map((e) => ({
        ...e,
        occurredAt: new Date(e.occurredAt).toISOString(),
        storedAt: new Date(e.storedAt).toISOString(),
      })),
    });
  });

  router.post('/export', async (req, res) => {
    const files = await control.exportEventFiles(parse(exportSchema, req.body));
    res.json({ files });
  });

  router.post('/profiles', (req, res) => {
    res.json({ member: control.updateProfile(parse(profileUpdateSchema, req.body)) });
  });

  router.put('/rate-limits', (req, res) => {
    const limits = parse(rateLimitsSchema, req.body);
    try {
      control.setRateLimits(limits);
    } catch (error) {
      throw new ControlRequestError((error as Error).message);
    }
    res.json({ rateLimits: limits });
  });

  router.post('/tokens/expire', (_req, res) => {
    res.json({ expired: control.expireTokens() });
  });

  router.post('/notifications/flush', async (_req, res) => {
    await control.flushNotifications();
    res.json({ flushed: true });
  });

  router.use((_req, res) => {
    res.status(404).json({ error: 'Unknown control endpoint' });
  });

  router.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (error instanceof ControlRequestError) {
      return void res.status(400).json({ error: 'Invalid control request', detail: error.message });
    }
    if (error instanceof EngagementRejected) {
      return void res.status(400).json({ error: 'Engagement rejected', problems: error.problems });
    }
    const bodyError = error as { type?: string; message?: string };
    if (bodyError?.type === 'entity.parse.failed') {
      return void res
        .status(400)
        .json({ error: 'Invalid control request', detail: 'body is not valid JSON' });
    }
    next(error);
  });
  return router;
}
