import { loadConfig } from '../../../bridge/src/config/load.js';
import type { BridgeConfig } from '../../../bridge/src/config/config.js';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

/**
 * A real, validated configuration (through loadConfig, as `start` builds it) for an in-process bridge
 * on port 0, with quick queue polling and retries.
 */
export function testConfig(env: Record<string, string | undefined> = {}): BridgeConfig {
  const config = loadConfig({
    env: {
      BRIDGE_HOST: '127.0.0.1',
      BRIDGE_PORT: '0',
      BRIDGE_LOG_LEVEL: 'silent',
      BRIDGE_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      BRIDGE_QUEUE_POLL_INTERVAL_MS: '500',
      BRIDGE_QUEUE_MAX_ATTEMPTS: '3',
      BRIDGE_SHUTDOWN_TIMEOUT_SECONDS: '5',
      BRIDGE_PROCESS_METRICS: 'false',
      ...env,
    },
    cwd: process.cwd(),
    envFile: false,
  });
  return { ...config, queue: { ...config.queue, retryBaseSeconds: 0.2, retryMaxSeconds: 1 } };
}
