import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { faultRuleSchema } from '../../shared/faults.js';
import { ApiError, RecordFailure } from '../errors.js';
import { convertLead } from '../data/lead-convert.js';
import { MultipleMatches, type UnitOfWork, type WriteContext } from '../data/write-pipeline.js';
import type { SalesforceOrg } from '../org.js';
import type { FieldValue } from '../schema/types.js';
import { readRecord } from '../http/rest/record-input.js';

// The control API (`/__control/...`): nothing here exists on Salesforce, and the bridge never calls
// it. Tests and demos use it to reset the org, inject faults, expire sessions, move the clock, read
// API usage, convert leads (REST cannot) and seed or inspect records without spending API calls.

const asUser = z.string().min(3).optional();

const schemas = {
  reset: z
    .object({
      demoData: z.boolean().optional(),
      seed: z.number().int().optional(),
      clearSessions: z.boolean().optional(),
    })
    .strict(),
  faults: z.union([faultRuleSchema, z.object({ rules: z.array(faultRuleSchema).min(1) }).strict()]),
  expire: z.object({ username: z.string().optional(), all: z.boolean().optional() }).strict(),
  clock: z
    .object({
      now: z
        .string()
        .refine((s) => !Number.isNaN(Date.parse(s)), 'now must be an ISO-8601 datetime')
        .optional(),
      advanceMs: z.number().int().optional(),
      freeze: z.boolean().optional(),
      reset: z.boolean().optional(),
    })
    .strict(),
  limits: z
    .object({
      name: z.string().default('DailyApiRequests'),
      max: z.number().int().min(0).optional(),
      used: z.number().int().min(0).optional(),
    })
    .strict(),
  convert: z
    .object({
      accountId: z.string().optional(),
      contactId: z.string().optional(),
      doNotCreateOpportunity: z.boolean().optional(),
      opportunityName: z.string().optional(),
      convertedStatus: z.string().optional(),
      ownerId: z.string().optional(),
      mapCustomFields: z.boolean().optional(),
      asUser,
    })
    .strict(),
  insert: z
    .object({
      object: z.string().min(1),
      records: z.array(z.record(z.string(), z.unknown())).min(1).max(10_000),
      asUser,
    })
    .strict(),
  update: z
    .object({
      records: z
        .array(z.object({ Id: z.string().min(15) }).passthrough())
        .min(1)
        .max(10_000),
      asUser,
    })
    .strict(),
  ids: z.object({ ids: z.array(z.string().min(15)).min(1).max(10_000), asUser }).strict(),
  query: z.object({ soql: z.string().min(1), includeDeleted: z.boolean().optional(), asUser }).strict(),
};

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body ?? {});
  if (!result.success) {
    throw new ControlError(
      400,
      result.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
    );
  }
  return result.data;
}

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function controlRouter(org: SalesforceOrg): Router {
  const router = express.Router();

  const contextFor = (username: string | undefined): WriteContext => {
    const name = username ?? org.options.users[1]?.username ?? 'admin@example.com';
    const user = org.directory.findByUsername(name);
    if (!user) throw new ControlError(400, `asUser: no user ${name}`);
    return { user: { id: user.id, username: user.username }, api: 'control', client: null };
  };

  const handle =
    (work: (req: Request) => unknown, status = 200) =>
    (req: Request, res: Response) => {
      try {
        const body = work(req);
        if (body === undefined) res.status(204).end();
        else res.status(status).json(body);
      } catch (error) {
        if (error instanceof ControlError) res.status(error.status).json({ error: error.message });
        else if (error instanceof ApiError)
          res.status(error.status).json({ error: error.message, errors: error.errors });
        else if (error instanceof RecordFailure)
          res.status(400).json({ error: error.message, errors: error.errors });
        else {
          console.error('[salesforce-emulator] control API error', error);
          res.status(500).json({ error: (error as Error).message });
        }
      }
    };

  router.post(
    '/reset',
    handle((req) => {
      const options = parse(schemas.reset, req.body);
      org.reset(options);
      return { reset: true, orgId: org.orgId };
    }),
  );

  router.get(
    '/state',
    handle(() => ({
      orgId: org.orgId,
      url: org.url,
      clock: org.clock.describe(),
      users: [...org.store.table('User').rows.values()].map((u) => ({
        id: u.Id,
        username: u.Username,
        ...org.directory.permissionsOf(u.Id as string),
      })),
      sessions: org.sessions.list(),
      records: Object.fromEntries(
        org.store
          .allTables()
          .filter((t) => t.rows.size > 0)
          .map((t) => [t.object.name, { live: t.liveCount, deleted: t.rows.size - t.liveCount }]),
      ),
      apiUsage: {
        used: org.limits.used('DailyApiRequests'),
        max: org.limits.max('DailyApiRequests'),
        byKind: org.limits.apiCallsByKind(),
      },
      faults: org.faults.list(),
      bulkJobs: org.bulk
        .list('ingest')
        .concat(org.bulk.list('query'))
        .map((j) => org.bulk.describe(j)),
      openQueryCursors: org.cursors.size,
      platformEventsPublished: org.events.published,
      packageProblems: org.catalog.packageMetadata.problems,
    })),
  );

  router.get(
    '/faults',
    handle(() => ({ rules: org.faults.list() })),
  );
  router.post(
    '/faults',
    handle((req) => {
      const input = parse(schemas.faults, req.body);
      const rules = 'rules' in input ? input.rules : [input];
      return { rules: rules.map((rule) => org.faults.add(rule)) };
    }, 201),
  );
  router.delete(
    '/faults',
    handle(() => {
      org.faults.clear();
      return undefined;
    }),
  );

  router.post(
    '/sessions/expire',
    handle((req) => {
      const input = parse(schemas.expire, req.body);
      return { expired: org.sessions.expire(input.username ? { username: input.username } : {}) };
    }),
  );

  router.get(
    '/clock',
    handle(() => org.clock.describe()),
  );
  router.post(
    '/clock',
    handle((req) => {
      const input = parse(schemas.clock, req.body);
      if (input.reset) org.clock.reset();
      if (input.now) org.clock.set(new Date(input.now), input.freeze ?? false);
      if (input.advanceMs) org.clock.advance(input.advanceMs);
      return org.clock.describe();
    }),
  );

  router.get(
    '/api-usage',
    handle(() => ({
      used: org.limits.used('DailyApiRequests'),
      max: org.limits.max('DailyApiRequests'),
      remaining: org.limits.remaining('DailyApiRequests'),
      byKind: org.limits.apiCallsByKind(),
    })),
  );
  router.post(
    '/limits',
    handle((req) => {
      const input = parse(schemas.limits, req.body);
      if (input.max !== undefined) org.limits.setMax(input.name, input.max);
      if (input.used !== undefined) org.limits.setUsed(input.name, input.used);
      return {
        [input.name]: { Max: org.limits.max(input.name), Remaining: org.limits.remaining(input.name) },
      };
    }),
  );

  router.post(
    '/leads/:id/convert',
    handle((req) => {
      const input = parse(schemas.convert, req.body);
      const { asUser: username, ...request } = input;
      const today = org.clock.iso().slice(0, 10);
      return org.pipeline.run(contextFor(username), (unit) =>
        convertLead(unit, { ...request, leadId: String(req.params.id) }, today),
      );
    }),
  );

  const writeEach = (
    username: string | undefined,
    count: number,
    write: (i: number, unit: UnitOfWork) => string,
  ) =>
    org.pipeline.run(contextFor(username), (unit) =>
      Array.from({ length: count }, (_, i) => {
        const outcome = unit.attempt(() => write(i, unit));
        if (outcome.ok) return { id: outcome.value, success: true, errors: [] };
        const errors =
          outcome.error instanceof MultipleMatches
            ? [{ statusCode: 'DUPLICATE_EXTERNAL_ID', message: outcome.error.message, fields: [] }]
            : outcome.error.errors;
        return { success: false, errors };
      }),
    );

  router.post(
    '/records',
    handle((req) => {
      const input = parse(schemas.insert, req.body);
      const object = org.catalog.object(input.object);
      if (!object) throw new ControlError(400, `object: no sObject ${input.object}`);
      const inputs = input.records.map((r) => readRecord(org.catalog, object, r, JSON.stringify(r)).values);
      return writeEach(
        input.asUser,
        inputs.length,
        (i, unit) => unit.insert(object.name, inputs[i]!).Id as string,
      );
    }, 201),
  );

  router.patch(
    '/records',
    handle((req) => {
      const input = parse(schemas.update, req.body);
      const updates = input.records.map(({ Id, ...rest }) => {
        const object = org.catalog.objectForId(Id);
        if (!object) throw new ControlError(400, `records: ${Id} is not an id of a known object`);
        return { id: Id, object, values: readRecord(org.catalog, object, rest, JSON.stringify(rest)).values };
      });
      return writeEach(input.asUser, updates.length, (i, unit) => {
        const u = updates[i]!;
        return unit.update(u.object.name, u.id, u.values as Record<string, FieldValue>).Id as string;
      });
    }),
  );

  router.post(
    '/records/delete',
    handle((req) => {
      const input = parse(schemas.ids, req.body);
      return writeEach(input.asUser, input.ids.length, (i, unit) => {
        unit.delete(input.ids[i]!);
        return input.ids[i]!;
      });
    }),
  );

  router.post(
    '/records/undelete',
    handle((req) => {
      const input = parse(schemas.ids, req.body);
      return writeEach(
        input.asUser,
        input.ids.length,
        (i, unit) => unit.undelete(input.ids[i]!).Id as string,
      );
    }),
  );

  router.post(
    '/query',
    handle((req) => {
      const input = parse(schemas.query, req.body);
      const user = contextFor(input.asUser).user;
      const result = org.queries.query(input.soql, {
        includeDeleted: input.includeDeleted ?? false,
        userId: user.id,
      });
      return {
        totalSize: result.totalSize,
        records: result.rows.map((row) => result.toRest(row, '62.0')),
      };
    }),
  );

  return router;
}
