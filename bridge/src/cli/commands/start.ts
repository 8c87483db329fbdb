import type { Command } from 'commander';
import { startBridge } from '../../app.js';
import { errorMessage } from '../../shared/errors.js';
import { createLogger } from '../../shared/logger.js';
import type { CliSession } from '../context.js';

// `start`: runs the bridge until SIGTERM or SIGINT, then shuts down gracefully: intake stops, work in
// flight finishes or returns to the queue within BRIDGE_SHUTDOWN_TIMEOUT_SECONDS, cursors are saved,
// the store is closed. A second signal exits at once. An unhandled error is logged and also leads to
// a graceful stop, with exit code 1.

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
      if (config.mode === 'sandbox') logger.warn({ mode: 'sandbox' }, sandboxNotice);
      else logger.info({ mode: 'live', instance: config.instanceId }, 'starting the bridge in live mode');

      const running = await startBridge(config, { modules: [...session.modules], logger });

      await new Promise<void>((resolve) => {
        let stopping = false;
        const onTerm = () => stop('SIGTERM', 0);
        const onInt = () => stop('SIGINT', 0);
        const onRejection = (reason: unknown) => {
          logger.fatal({ err: reason }, `unhandled promise rejection: ${errorMessage(reason)}`);
          stop('unhandled rejection', 1);
        };
        const onException = (error: Error) => {
          logger.fatal({ err: error }, `uncaught exception: ${error.message}`);
          stop('uncaught exception', 1);
        };
        function stop(reason: string, exitCode: number): void {
          if (stopping) {
            logger.warn(`${reason} again while stopping: exiting now`);
            process.exit(1);
          }
          stopping = true;
          session.exitCode = exitCode;
          logger.info({ reason }, 'shutdown requested');
          running
            .stop()
            .catch((error: unknown) => {
              logger.error({ err: error }, `shutdown failed: ${errorMessage(error)}`);
              session.exitCode = 1;
            })
            .finally(() => {
              process.off('SIGTERM', onTerm);
              process.off('SIGINT', onInt);
              process.off('unhandledRejection', onRejection);
              process.off('uncaughtException', onException);
              resolve();
            });
        }
        process.on('SIGTERM', onTerm);
        process.on('SIGINT', onInt);
        process.on('unhandledRejection', onRejection);
        process.on('uncaughtException', onException);
      });
      // Everything is closed; if some stray timer or socket still holds the process, do not hang.
      setTimeout(() => {
        logger.warn('the process did not exit after shutdown; exiting');
        process.exit(session.exitCode);
      }, 5000).unref();
    });
}
