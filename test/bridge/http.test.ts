import { Router } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type RunningBridge } from '../../bridge/src/app.js';
import type { BridgeModule } from '../../bridge/src/module.js';
import { OutcomeCollector } from '../../bridge/src/queue/outcomes.js';
import { BridgeError } from '../../bridge/src/shared/errors.js';
import { registerSecret } from '../../bridge/src/shared/redaction.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { testConfig, TEST_ADMIN_TOKEN } from './support/config.js';
import { capturedLogger, eventually } from './support/queue-harness.js';

const LEAD = '00Q000000000042AAA';
const auth = { Authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
const LEAKED = 'sk-live-very-secret-value-123';

describe('HTTP server and admin API', () => {
  let database: TestDatabase;
  let bridge: RunningBridge;
  let salesforceReachable = true;
  const logs = capturedLogger('info');

  // A stand-in for the modules other engineers write: a flow, a task, routes and readiness checks.
  const testModule: BridgeModule = {
    name: 'test-module',
    register(context) {
      context.queue.defineFlow({
        name: 'f-http-test',
        direction: 'salesforce_to_responsys',
        async handle(batch) {
          const outcomes = new OutcomeCollector();
          for (const item of batch.items) {
            if (item.data.bad)
              outcomes.failed(item, 'EMAIL_ADDRESS_ is not a valid email', {
                retryable: false,
                code: 'INVALID_EMAIL',
              });
            else outcomes.succeeded(item, { riid: '9001', email: 'ann@example.com' });
          }
          return outcomes.outcomes;
        },
      });
      context.queue.defineTask({
        name: 'f-http-task',
        run: async () => new Promise((resolve) => setTimeout(resolve, 3000)),
      });
      context.readiness.add('salesforce', () =>
        salesforceReachable ? { ok: true } : { ok: false, detail: 'login failed: INVALID_CLIENT' },
      );
      context.readiness.add('responsys-rate-limits', () => ({ ok: false, detail: 'not loaded yet' }), {
        critical: false,
      });
      const admin = Router();
      admin.post('/campaigns/:id/sync', (req, res) => {
        res.status(202).json({ campaignId: req.params.id, body: req.body });
      });
      admin.get('/boom', () => {
        throw new Error(`connection to https://user:${LEAKED}@db failed`);
      });
      admin.get('/teapot', () => {
        throw new BridgeError('CONFLICT', `token ${LEAKED} already used`);
      });
      context.http.mountAdmin('/test', admin);
      const webhooks = Router();
      webhooks.post('/events', (_req, res) => {
        res.status(204).end();
      });
      context.http.mountPublic('/webhooks/test', webhooks);
      context.leadership.campaign('test-subscription', {
        onElected: () => undefined,
        onDemoted: () => undefined,
      });
    },
  };

  beforeAll(async () => {
    database = await createTestDatabase('http');
    registerSecret(LEAKED);
    bridge = await startBridge(testConfig({ DATABASE_URL: database.url, BRIDGE_BODY_LIMIT: '2kb' }), {
      modules: [testModule],
      logger: logs.logger,
      housekeepingIntervalMs: 1000,
    });
  });
  afterAll(async () => {
    await bridge?.stop();
    await database?.drop();
  });

  it('answers /healthz while the process is alive', async () => {
    const response = await request(bridge.url!).get('/healthz').expect(200);
    expect(response.body).toMatchObject({ status: 'ok' });
    expect(response.headers['x-request-id']).toMatch(/[0-9a-f-]{36}/);
  });

  it('is ready when the store and every critical check pass, and names the failing check otherwise', async () => {
    const ready = await request(bridge.url!).get('/readyz').expect(200);
    expect(ready.body.status).toBe('ready');
    expect(ready.body.checks.store).toMatchObject({ ok: true, detail: 'server' });
    expect(ready.body.checks['responsys-rate-limits']).toMatchObject({ ok: false, critical: false });
    salesforceReachable = false;
    try {
      const notReady = await request(bridge.url!).get('/readyz').expect(503);
      expect(notReady.body).toMatchObject({
        status: 'not_ready',
        checks: { salesforce: { ok: false, detail: 'login failed: INVALID_CLIENT' } },
      });
    } finally {
      salesforceReachable = true;
    }
  });

  it('serves Prometheus metrics', async () => {
    const response = await request(bridge.url!).get('/metrics').expect(200);
    expect(response.headers['content-type']).toMatch(/text\/plain/);
    expect(response.text).toContain('responsys_bridge_build_info{version="0.1.0"');
    expect(response.text).toMatch(/responsys_bridge_jobs\{queue="f-http-test",state="created"\} \d+/);
    expect(response.text).toContain('# TYPE responsys_bridge_end_to_end_latency_seconds histogram');
  });

  it('sets security headers with helmet', async () => {
    const response = await request(bridge.url!).get('/healthz');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-powered-by']).toBeUndefined();
  });

  it('refuses the admin API without the bearer token, or with a wrong one', async () => {
    const missing = await request(bridge.url!).get('/api/v1/status').expect(401);
    expect(missing.body.error).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(missing.body.error.message).toMatch(/Authorization: Bearer/);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
    await request(bridge.url!)
      .get('/api/v1/status')
      .set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}x`)
      .expect(401);
    await request(bridge.url!).get('/api/v1/status').set('Authorization', TEST_ADMIN_TOKEN).expect(401);
    await request(bridge.url!)
      .get('/api/v1/status')
      .set('Authorization', `bearer ${TEST_ADMIN_TOKEN}`)
      .expect(200);
  });

  it('reports queues, flows, tasks, leadership and instances in the status', async () => {
    await eventually(
      'the lease',
      async () => (await bridge.context.store.leases.current('test-subscription')) !== undefined,
    );
    const { body } = await request(bridge.url!).get('/api/v1/status').set(auth).expect(200);
    expect(body).toMatchObject({
      version: '0.1.0',
      mode: 'sandbox',
      store: { backend: 'server' },
      flows: ['f-http-test'],
      tasks: ['f-http-task'],
      deadLetters: { open: expect.any(Number) },
    });
    expect(body.queues.map((queue: { name: string }) => queue.name)).toEqual(
      expect.arrayContaining(['f-http-test', 'f-http-test-express', 'f-http-task', 'bridge-lost-jobs']),
    );
    expect(body.leadership).toEqual([
      expect.objectContaining({
        lock: 'test-subscription',
        holder: bridge.config.instanceId,
        thisInstance: true,
      }),
    ]);
    expect(body.instances.map((instance: { instanceId: string }) => instance.instanceId)).toContain(
      bridge.config.instanceId,
    );
  });

  it('explains a failed record in plain words and lets an operator retry or discard its dead letter once', async () => {
    await bridge.context.queue.enqueue('f-http-test', {
      objectType: 'Lead',
      recordId: LEAD,
      changeType: 'CREATE',
      correlationId: 'corr-http-1',
      data: { bad: true },
    });
    const deadLetter = await eventually(
      'the dead letter',
      async () => (await bridge.context.store.deadLetters.list({ flow: 'f-http-test' }))[0],
    );

    const history = await request(bridge.url!).get(`/api/v1/records/${LEAD}/history`).set(auth).expect(200);
    expect(history.body.lastError).toMatchObject({
      flow: 'f-http-test',
      message: 'EMAIL_ADDRESS_ is not a valid email',
      code: 'INVALID_EMAIL',
      willRetry: false,
      deadLetterId: deadLetter.id,
    });
    expect(history.body.summary.join('\n')).toContain(
      `Dead letter #${deadLetter.id} (f-http-test) is waiting for an operator`,
    );
    expect(history.body.summary.join('\n')).toContain('gave up');
    const byCorrelation = await request(bridge.url!)
      .get('/api/v1/records/corr-http-1/history')
      .set(auth)
      .expect(200);
    expect(byCorrelation.body.entries).toHaveLength(1);

    const listed = await request(bridge.url!)
      .get('/api/v1/dead-letters?flow=f-http-test')
      .set(auth)
      .expect(200);
    expect(listed.body.deadLetters).toEqual([
      expect.objectContaining({ id: deadLetter.id, reason: deadLetter.reason }),
    ]);
    const one = await request(bridge.url!).get(`/api/v1/dead-letters/${deadLetter.id}`).set(auth).expect(200);
    expect(one.body.deadLetter.payload.change).toMatchObject({ recordId: LEAD, data: { bad: true } });

    const retried = await request(bridge.url!)
      .post(`/api/v1/dead-letters/${deadLetter.id}/retry`)
      .set(auth)
      .set('x-bridge-operator', 'alice')
      .expect(200);
    expect(retried.body.deadLetter).toMatchObject({ status: 'retried', handledBy: 'api:alice' });
    const again = await request(bridge.url!)
      .post(`/api/v1/dead-letters/${deadLetter.id}/retry`)
      .set(auth)
      .expect(409);
    expect(again.body.error.message).toBe(`Dead letter #${deadLetter.id} is already retried`);
    await request(bridge.url!).post(`/api/v1/dead-letters/${deadLetter.id}/discard`).set(auth).expect(409);
    await request(bridge.url!).post('/api/v1/dead-letters/999999/retry').set(auth).expect(404);
  });

  it('retries every open dead letter of a flow in one call', async () => {
    await bridge.context.queue.enqueue('f-http-test', [
      { objectType: 'Lead', recordId: '00Q000000000051AAA', changeType: 'UPDATE', data: { bad: true } },
      { objectType: 'Lead', recordId: '00Q000000000052AAA', changeType: 'UPDATE', data: { bad: true } },
    ]);
    await eventually(
      'two dead letters',
      async () => (await bridge.context.store.deadLetters.list({ flow: 'f-http-test' })).length >= 2,
    );
    const response = await request(bridge.url!)
      .post('/api/v1/dead-letters/retry')
      .set(auth)
      .send({ flow: 'f-http-test' })
      .expect(200);
    expect(response.body.retried).toBeGreaterThanOrEqual(2);
  });

  it('validates admin input with messages that name the field', async () => {
    const badId = await request(bridge.url!).post('/api/v1/dead-letters/abc/retry').set(auth).expect(400);
    expect(badId.body.error).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(badId.body.error.message).toMatch(/id must be a dead letter number/);
    const emptyRetry = await request(bridge.url!)
      .post('/api/v1/dead-letters/retry')
      .set(auth)
      .send({})
      .expect(400);
    expect(emptyRetry.body.error.message).toMatch(/"ids", a "flow", or "all": true/);
    const badStatus = await request(bridge.url!)
      .get('/api/v1/dead-letters?status=lost')
      .set(auth)
      .expect(400);
    expect(badStatus.body.error.details.issues[0].field).toBe('status');
  });

  it('answers malformed and oversized JSON bodies with JSON errors', async () => {
    const malformed = await request(bridge.url!)
      .post('/api/v1/dead-letters/retry')
      .set(auth)
      .set('content-type', 'application/json')
      .send('{"flow": ')
      .expect(400);
    expect(malformed.body.error).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'The request body is not valid JSON',
    });
    const large = await request(bridge.url!)
      .post('/api/v1/dead-letters/retry')
      .set(auth)
      .send({ flow: 'x'.repeat(5000) })
      .expect(413);
    expect(large.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers unknown routes with a JSON 404', async () => {
    const publicMiss = await request(bridge.url!).get('/nowhere').expect(404);
    expect(publicMiss.body).toEqual({ error: { code: 'NOT_FOUND', message: 'No route for GET /nowhere' } });
    await request(bridge.url!).get('/api/v1/nowhere').set(auth).expect(404);
  });

  it('starts a task on demand once, and says so when it is already waiting', async () => {
    const first = await request(bridge.url!)
      .post('/api/v1/tasks/f-http-task/run')
      .set(auth)
      .send({ data: { campaignId: '701' } });
    expect(first.status).toBe(202);
    expect(first.body.jobId).toEqual(expect.any(String));
    await request(bridge.url!)
      .post('/api/v1/tasks/f-http-task/run')
      .set(auth)
      .send({})
      .expect((response) => {
        // The first one may already be running; a second request then queues one more, a third is refused.
        expect([202, 409]).toContain(response.status);
      });
    await request(bridge.url!).post('/api/v1/tasks/no-such-task/run').set(auth).send({}).expect(404);
  });

  it('serves routes mounted by modules: admin ones behind the token, public ones as they are', async () => {
    await request(bridge.url!).post('/api/v1/test/campaigns/701/sync').send({}).expect(401);
    const synced = await request(bridge.url!)
      .post('/api/v1/test/campaigns/701/sync')
      .set(auth)
      .send({ full: true })
      .expect(202);
    expect(synced.body).toEqual({ campaignId: '701', body: { full: true } });
    await request(bridge.url!).post('/webhooks/test/events').expect(204);
  });

  it('never shows secrets or internals in error answers, and logs them redacted', async () => {
    const boom = await request(bridge.url!).get('/api/v1/test/boom').set(auth).expect(500);
    expect(boom.body.error.code).toBe('INTERNAL');
    expect(JSON.stringify(boom.body)).not.toContain(LEAKED);
    expect(boom.body.error.requestId).toBe(boom.headers['x-request-id']);
    const conflict = await request(bridge.url!).get('/api/v1/test/teapot').set(auth).expect(409);
    expect(conflict.body.error.message).toBe('token [redacted] already used');
    const logged = JSON.stringify(logs.lines);
    expect(logged).toContain('unexpected error in HTTP handler');
    expect(logged).not.toContain(LEAKED);
    expect(logs.lines.find((line) => line.msg === 'unexpected error in HTTP handler')).toMatchObject({
      requestId: boom.headers['x-request-id'],
    });
  });
});
