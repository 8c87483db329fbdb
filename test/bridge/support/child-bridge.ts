import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { followProcess, type FollowedProcess } from '../../support/followed-process.js';
import { TEST_ADMIN_TOKEN } from './config.js';

// Runs test/bridge/fixtures/bridge-process.ts as a separate Node process (as operators run the bridge)
// and follows its JSON log lines.

const fixture = fileURLToPath(new URL('../fixtures/bridge-process.ts', import.meta.url));

export type ChildBridge = FollowedProcess;
export { killIfRunning } from '../../support/followed-process.js';

export function spawnBridge(env: Record<string, string>): ChildBridge {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      BRIDGE_HOST: '127.0.0.1',
      BRIDGE_PORT: '0',
      BRIDGE_LOG_LEVEL: 'info',
      BRIDGE_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      BRIDGE_QUEUE_POLL_INTERVAL_MS: '500',
      BRIDGE_PROCESS_METRICS: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return followProcess(child);
}
