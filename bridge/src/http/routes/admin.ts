import { Router } from 'express';
import { z } from 'zod';
import type { AdminService } from '../../admin/admin-service.js';
import { validate } from '../validation.js';

// The admin API (/api/v1, bearer token): status, a record's history, dead letters, tasks.

const wholeNumber = (what: string, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^[1-9]\d{0,15}$/, { error: `must be ${what}` })
    .transform(Number)
    .pipe(z.number().max(max, { error: `must be ${what}` }));

const idParam = z.object({ id: wholeNumber('a dead letter number') });

const deadLetterQuery = z.object({
  flow: z.string().min(1).max(60).optional(),
  status: z
    .enum(['open', 'retried', 'discarded'], { error: 'must be open, retried or discarded' })
    .optional(),
  limit: wholeNumber('a number from 1 to 500', 500).optional(),
  beforeId: wholeNumber('a dead letter number').optional(),
});

const retryBody = z
  .object({
    ids: z.array(z.number().int().positive()).min(1).max(10_000).optional(),
    flow: z.string().min(1).max(60).optional(),
    all: z.literal(true).optional(),
  })
  .strict()
  .refine((body) => body.ids !== undefined || body.flow !== undefined || body.all === true, {
    error: 'name the dead letters: "ids", a "flow", or "all": true',
  });

const taskBody = z.object({ data: z.record(z.string(), z.unknown()).optional() }).strict();

/** Who acted, for the handled_by column: the caller may name themselves. */
function actor(header: string | undefined): string {
  const name = header?.trim().slice(0, 100);
  return name ? `api:${name}` : 'api';
}

export function adminRoutes(admin: AdminService): Router {
  const router = Router();

  router.get('/status', async (_request, response) => {
    response.json(await admin.status());
  });

  router.get('/records/:idOrEmail/history', async (request, response) => {
    const { idOrEmail } = validate(
      z.object({
        idOrEmail: z
          .string()
          .trim()
          .min(3, { error: 'must be a Salesforce id, a RIID, an email or a correlation id' })
          .max(320),
      }),
      request.params,
      'record',
    );
    response.json(await admin.history(idOrEmail));
  });

  router.get('/dead-letters', async (request, response) => {
    const filter = validate(deadLetterQuery, request.query, 'query');
    const limit = filter.limit ?? 100;
    const deadLetters = await admin.listDeadLetters({ ...filter, limit });
    response.json({
      deadLetters,
      nextBeforeId: deadLetters.length === limit ? deadLetters[deadLetters.length - 1]!.id : null,
    });
  });

  router.get('/dead-letters/:id', async (request, response) => {
    const { id } = validate(idParam, request.params, 'dead letter id');
    response.json({ deadLetter: await admin.deadLetter(id) });
  });

  router.post('/dead-letters/retry', async (request, response) => {
    const body = validate(retryBody, request.body ?? {}, 'body');
    const retried = await admin.retryDeadLetters(
      body.ids ? { ids: body.ids } : { flow: body.flow },
      actor(request.get('x-bridge-operator')),
    );
    response.json({ retried });
  });

  router.post('/dead-letters/:id/retry', async (request, response) => {
    const { id } = validate(idParam, request.params, 'dead letter id');
    response.json({ deadLetter: await admin.retryDeadLetter(id, actor(request.get('x-bridge-operator'))) });
  });

  router.post('/dead-letters/:id/discard', async (request, response) => {
    const { id } = validate(idParam, request.params, 'dead letter id');
    response.json({ deadLetter: await admin.discardDeadLetter(id, actor(request.get('x-bridge-operator'))) });
  });

  router.post('/tasks/:name/run', async (request, response) => {
    const { name } = validate(
      z.object({ name: z.string().regex(/^[a-z][a-z0-9-]{1,48}$/) }),
      request.params,
      'task',
    );
    const body = validate(taskBody, request.body ?? {}, 'body');
    const result = await admin.runTask(name, body.data ?? {});
    response
      .status(result.alreadyQueued ? 409 : 202)
      .json(
        result.alreadyQueued
          ? { error: { code: 'CONFLICT', message: `Task ${name} is already waiting to run` } }
          : { jobId: result.jobId },
      );
  });

  return router;
}
