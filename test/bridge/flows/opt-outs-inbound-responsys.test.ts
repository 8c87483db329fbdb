import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PERMISSION_TARGET,
  ResponsysPermissionKeeper,
} from '../../../bridge/src/flows/opt-outs/inbound-responsys.js';
import { ResponsysClient } from '../../../bridge/src/responsys/client.js';
import { createLogger } from '../../../bridge/src/shared/logger.js';
import { BridgeMetrics } from '../../../bridge/src/shared/metrics.js';
import { openStore, type Store } from '../../../bridge/src/store/store.js';
import { startResponsysEmulator, type ResponsysEmulator } from '../../emulators/responsys/index.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

// The permission status in Responsys after an opt-out or opt-in from Responsys was applied: set back
// to O after a stale update, and the person's own I put back where the bridge had set O after it.

let emulator: ResponsysEmulator;
let database: TestDatabase;
let store: Store;
let client: ResponsysClient;
let keeper: ResponsysPermissionKeeper;

beforeAll(async () => {
  emulator = await startResponsysEmulator({ sftp: false, demoData: true });
  database = await createTestDatabase('permission_keeper');
  store = await openStore({ databaseUrl: database.url, dataDir: 'unused', instanceId: 'keeper-test' });
  const logger = createLogger({ level: 'silent' });
  client = new ResponsysClient({
    loginUrl: emulator.url,
    username: emulator.username,
    password: emulator.password,
    profileList: emulator.profileList.name,
    profileListFolder: emulator.profileList.folderName,
    logger,
    metrics: new BridgeMetrics(),
  });
  keeper = new ResponsysPermissionKeeper({ responsys: client, ledger: store.syncLedger, log: logger });
}, 60_000);

afterAll(async () => {
  client?.close();
  await store?.close();
  await database?.drop();
  await emulator?.close();
});

const member = (email: string) => emulator.control.findMember({ email })!;
const permission = (email: string) => member(email).EMAIL_PERMISSION_STATUS_;

describe('the permission status kept in Responsys', () => {
  it('sets O again where Responsys says I after an opt-out, remembers it, and leaves O alone', async () => {
    const optedIn = String(member('ava.thompson@example.com').RIID_);
    const alreadyOut = String(member('daniel.novak@example.com').RIID_);
    expect(permission('daniel.novak@example.com')).toBe('O');
    const fixed = await keeper.keepOptedOut([optedIn, alreadyOut]);
    expect([...fixed]).toEqual([optedIn]);
    expect(permission('ava.thompson@example.com')).toBe('O');
    const [entry] = await store.syncLedger.forRecords([optedIn]);
    expect(entry).toMatchObject({ direction: 'salesforce_to_responsys', target: PERMISSION_TARGET });
  });

  it("puts the person's I back only where the bridge set O after the person opted in", async () => {
    const overridden = String(member('liam.garcia@example.com').RIID_);
    const before = String(member('noah.mueller@example.com').RIID_);
    for (const riid of [overridden, before]) {
      await client.mergeProfileMembers([{ RIID_: riid, EMAIL_PERMISSION_STATUS_: 'O' }], {
        matchColumn: 'RIID_',
        insertOnNoMatch: false,
        defaultPermissionStatus: 'OPTOUT',
      });
    }
    await store.syncLedger.recordWrites('salesforce_to_responsys', [
      { recordKey: overridden, target: PERMISSION_TARGET, value: 'O' },
      { recordKey: before, target: PERMISSION_TARGET, value: 'O' },
    ]);
    const restored = await keeper.restoreOptIn(
      new Map([
        [overridden, new Date(Date.now() - 60_000)],
        // opted in after the bridge's write: the person's choice was never overridden
        [before, new Date(Date.now() + 60_000)],
      ]),
    );
    expect([...restored]).toEqual([overridden]);
    expect(permission('liam.garcia@example.com')).toBe('I');
    expect(permission('noah.mueller@example.com')).toBe('O');
  });
});
