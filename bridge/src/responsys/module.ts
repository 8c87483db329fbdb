import type { BridgeModule } from '../module.js';
import { errorMessage } from '../shared/errors.js';
import { ResponsysClient } from './client.js';

// Installs the Responsys client: one per bridge process, provided to flows as the `responsys` service,
// with a readiness check (a usable session).

declare module '../module.js' {
  interface BridgeServices {
    responsys: ResponsysClient;
  }
}

/** A failed login is not retried by readiness probes more often than this (logins are limited to ~10/min). */
const FAILED_CHECK_REUSE_MS = 30_000;

export const responsysModule: BridgeModule = {
  name: 'responsys',
  register(context) {
    let client: ResponsysClient;
    try {
      client = ResponsysClient.fromConfig(context.config, {
        logger: context.logger,
        metrics: context.metrics,
        clock: context.clock,
      });
    } catch (error) {
      // Live mode validates these variables at start and sandbox mode fills them in, so this only
      // happens in a partial setup: the bridge runs, but says why it is not ready.
      const reason = errorMessage(error);
      context.logger.error(`Responsys connector not started: ${reason}`);
      context.readiness.add('responsys', () => ({ ok: false, detail: reason }));
      return;
    }
    context.services.provide('responsys', client);

    let lastFailure: { at: number; detail: string } | undefined;
    context.readiness.add(
      'responsys',
      async () => {
        const now = context.clock.now().getTime();
        if (lastFailure && now - lastFailure.at < FAILED_CHECK_REUSE_MS) {
          return { ok: false, detail: lastFailure.detail };
        }
        const result = await client.checkConnection();
        lastFailure = result.ok ? undefined : { at: now, detail: result.detail };
        return result;
      },
      { timeoutMs: 10_000 },
    );
    // Not closed in a shutdown hook: batches still draining after the hooks run keep using it. Its
    // idle kept-alive sockets do not hold the process open, and it runs no timers of its own.
  },
};
