import { describe, expect, it } from 'vitest';
import { newCorrelationId, withCorrelation } from '../../bridge/src/shared/correlation.js';
import { registerSecret } from '../../bridge/src/shared/redaction.js';
import { capturedLogger } from './support/queue-harness.js';

describe('structured logs', () => {
  it('stamps the correlation id on every line of a record journey, across awaits and timers', async () => {
    const { lines, logger } = capturedLogger('info');
    const correlationId = newCorrelationId();
    await withCorrelation(correlationId, async () => {
      logger.info('change received');
      await new Promise((resolve) => setTimeout(resolve, 5));
      await Promise.all([
        (async () => logger.info('profile merged'))(),
        new Promise<void>((resolve) =>
          setImmediate(() => {
            logger.child({ component: 'responsys' }).info('custom event sent');
            resolve();
          }),
        ),
      ]);
    });
    logger.info('unrelated');
    expect(lines.map((line) => [line.msg, line.correlationId])).toEqual([
      ['change received', correlationId],
      ['profile merged', correlationId],
      ['custom event sent', correlationId],
      ['unrelated', undefined],
    ]);
    expect(lines[0]).toMatchObject({ level: 'info', service: 'responsys-bridge' });
    expect(typeof lines[0]!.time).toBe('string');
  });

  it('carries every correlation id of a batch on batch-level lines', () => {
    const { lines, logger } = capturedLogger('info');
    withCorrelation({ flow: 'f1-lead-to-program', correlationIds: ['a', 'b'] }, () =>
      logger.info('merge call'),
    );
    expect(lines[0]).toMatchObject({ flow: 'f1-lead-to-program', correlationIds: ['a', 'b'] });
  });

  it('masks passwords, tokens, authorization headers and private keys, wherever they appear', () => {
    const { lines, logger } = capturedLogger('info');
    registerSecret('rsys-Refresh-Token-XYZ');
    logger.info(
      {
        password: 'hunter2-hunter2',
        salesforce: { clientSecret: 'abc', accessToken: '00D!AQ4AQ' },
        headers: { authorization: 'Bearer 00D!AQ4AQLongToken', accept: 'json' },
        config: { headers: { Authorization: 'Bearer zzzzzzzzzz' } },
      },
      'login ok',
    );
    logger.error(
      'request to https://api_user:p4ssw0rd@login2.responsys.net failed with Bearer eyJhbGciOiJSUzI1NiJ9.payload ' +
        'and token rsys-Refresh-Token-XYZ; key -----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----',
    );
    const text = JSON.stringify(lines);
    for (const secret of [
      'hunter2-hunter2',
      '00D!AQ4AQ',
      'zzzzzzzzzz',
      'p4ssw0rd',
      'eyJhbGciOiJSUzI1NiJ9',
      'rsys-Refresh-Token-XYZ',
      'MIIE',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(lines[0]).toMatchObject({
      password: '[redacted]',
      salesforce: { clientSecret: '[redacted]', accessToken: '[redacted]' },
      headers: { authorization: '[redacted]', accept: 'json' },
    });
    expect(lines[1]!.msg).toBe(
      'request to https://api_user:[redacted]@login2.responsys.net failed with Bearer [redacted] and token [redacted]; key [redacted]',
    );
  });

  it('does not blank out ordinary words that happen to equal a short secret', () => {
    const { lines, logger } = capturedLogger('info');
    registerSecret('bridge');
    logger.info('responsys-bridge started');
    expect(lines[0]!.msg).toBe('responsys-bridge started');
  });
});
