import type { Command } from 'commander';
import { startBridge, type RunningBridge } from '../../app.js';
import { errorMessage } from '../../shared/errors.js';
import { createLogger } from '../../shared/logger.js';
import type { CliSession } from '../context.js';

// `start`: runs the bridge until SIGTERM or SIGINT, then shuts down gracefully: intake stops, work in
// flight finishes or returns to the queue within BRIDGE_SHUTDOWN_TIMEOUT_SECONDS, the store is
// closed. A signal during startup stops the bridge as soon as it is up. A second signal exits at
// once. An unhandled error is logged and also leads to a graceful stop, with exit code 1.

const sandboxNotice =
  'sandbox mode: no Salesforce or Responsys credentials are configured, so the bridge runs against in-process ' +
  'emulators with demo data. To connect real systems, set SALESFORCE_LOGIN_URL, SALESFORCE_CLIENT_ID and the ' +
  'credentials of SALESFORCE_AUTH, the RESPONSYS_* variables and BRIDGE_ADMIN_TOKEN (see docs/bridge-operations.md; ' +
  '`responsys-bridge check-config` validates them).';

export function registerStartCommand(program: Command, session: CliSession): void {
  program
    .command('start')
    .description('run the bridge: HTTP server, queue workers, connectors and flows')
    .action(async () => {
      const config = session.loadConfig();
      const logger = createLogger({ level: config.logLevel });
      // The sandbox module says it itself, with the emulators' addresses, once they run.
      const sandboxModule = session.modules.some((module) => module.name === 'sandbox');
      if (config.mode === 'live') {
        logger.info({ mode: 'live', instance: config.instanceId }, 'starting the bridge in live mode');
      } else if (!sandboxModule) logger.warn({ mode: 'sandbox' }, sandboxNotice);

      let running: RunningBridge | undefined;
      let stopRequested = false;
      let releaseWait: () => void = () => undefined;
      const stopped = new Promise<void>((resolve) => (releaseWait = resolve));

      const stop = async () => {
        try {
          await running?.stop();
        } catch (error) {
          logger.error({ err: error }, `shutdown failed: ${errorMessage(error)}`);
          session.exitCode = 1;
        } finally {
          releaseWait();
        }
      };
      const requestStop = (reason: string, exitCode: number) => {
        if (stopRequested) {
          logger.warn(`${reason} again while stopping: exiting now`);
          process.exit(1);
        }
        stopRequested = true;
        session.exitCode = exitCode;
        logger.info({ reason }, running ? 'shutdown requested' : 'shutdown requested during startup');
        // During startup, the stop happens as soon as the bridge is up (below).
        if (running) void stop();
      };
      const onTerm = () => requestStop('SIGTERM', 0);
      const onInt = () => requestStop('SIGINT', 0);
      const onRejection = (reason: unknown) => {
        logger.fatal({ err: reason }, `unhandled promise rejection: ${errorMessage(reason)}`);
        requestStop('unhandled rejection', 1);
      };
      const onException = (error: Error) => {
        logger.fatal({ err: error }, `uncaught exception: ${error.message}`);
        requestStop('uncaught exception', 1);
      };
      process.on('SIGTERM', onTerm);
      process.on('SIGINT', onInt);
      process.on('unhandledRejection', onRejection);
      process.on('uncaughtException', onException);
      try {
        running = await startBridge(config, { modules: [...session.modules], logger });
        if (stopRequested) void stop();
        await stopped;
      } finally {
        process.off('SIGTERM', onTerm);
        process.off('SIGINT', onInt);
        process.off('unhandledRejection', onRejection);
        process.off('uncaughtException', onException);
      }
      // Everything is closed; if some stray timer or socket still holds the process, do not hang.
      setTimeout(() => {
        logger.warn('the process did not exit after shutdown; exiting');
        process.exit(session.exitCode);
      }, 5000).unref();
    });
}
