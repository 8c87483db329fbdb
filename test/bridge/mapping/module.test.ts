import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type RunningBridge } from '../../../bridge/src/app.js';
import { mappingModule } from '../../../bridge/src/mapping/module.js';
import type { BridgeModule } from '../../../bridge/src/module.js';
import { responsysModule } from '../../../bridge/src/responsys/module.js';
import { SalesforceFieldMapSource } from '../../../bridge/src/salesforce/field-maps.js';
import { startResponsysEmulator, type ResponsysEmulator } from '../../emulators/responsys/index.js';
import { JWT_PRIVATE_KEY_FILE, type SalesforceEmulator } from '../../emulators/salesforce/index.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { TEST_ADMIN_TOKEN, testConfig } from '../support/config.js';
import { emulatorClient, startEmulator } from '../salesforce/support.js';

// The Responsys connector and the mapping engine installed in a running bridge: services for flows,
// readiness checks, and the field-map admin routes.

let database: TestDatabase;
let salesforce: SalesforceEmulator;
let responsys: ResponsysEmulator;
let bridge: RunningBridge;

/** Provides the field-map source over the Salesforce emulator, as the Salesforce connector does. */
const fieldMapSourceModule: BridgeModule = {
  name: 'test-field-map-source',
  register(context) {
    context.services.provide('fieldMapSource', new SalesforceFieldMapSource(emulatorClient(salesforce)));
  },
};

beforeAll(async () => {
  database = await createTestDatabase('mapping');
  salesforce = await startEmulator();
  responsys = await startResponsysEmulator({ sftp: false });
  const config = testConfig({
    DATABASE_URL: database.url,
    SALESFORCE_LOGIN_URL: salesforce.url,
    SALESFORCE_CLIENT_ID: salesforce.credentials.clientId,
    SALESFORCE_USERNAME: 'bridge@example.com',
    SALESFORCE_PRIVATE_KEY_FILE: JWT_PRIVATE_KEY_FILE,
    RESPONSYS_LOGIN_URL: responsys.url,
    RESPONSYS_USERNAME: responsys.username,
    RESPONSYS_PASSWORD: responsys.password,
    RESPONSYS_PROFILE_LIST: 'CONTACTS_LIST',
    RESPONSYS_PROFILE_LIST_FOLDER: 'SF_Sync',
  });
  bridge = await startBridge(config, { modules: [responsysModule, fieldMapSourceModule, mappingModule] });
});

afterAll(async () => {
  await bridge?.stop();
  await responsys?.close();
  await salesforce?.close();
  await database?.drop();
});

describe('the Responsys and mapping modules in a running bridge', () => {
  it('provide the Responsys client and the mapping engine to flows', async () => {
    const client = bridge.context.services.get('responsys');
    const outcomes = await client.mergeProfileMembers(
      [{ CUSTOMER_ID_: '003000000000001', EMAIL_ADDRESS_: 'a@example.com', EMAIL_PERMISSION_STATUS_: 'I' }],
      { matchColumn: 'CUSTOMER_ID_', defaultPermissionStatus: 'OPTIN' },
    );
    expect(outcomes[0]!.ok).toBe(true);
    const mapping = await bridge.context.services.get('mapping').current();
    expect(mapping.salesforceFields('Lead')).toContain('Company');
  });

  it('report both in /readyz: a Responsys session, and the field maps in use', async () => {
    await bridge.context.services.get('mapping').current();
    const ready = await request(bridge.url!).get('/readyz').expect(200);
    expect(ready.body.checks.responsys).toMatchObject({ ok: true, critical: true });
    expect(ready.body.checks.responsys.detail).toContain(`logged in to ${responsys.url}`);
    expect(ready.body.checks['field-maps']).toMatchObject({
      ok: true,
      critical: false,
      detail: '23 maps in use, 0 with errors, 0 warnings (GET /api/v1/field-maps)',
    });
  });

  it('show the field maps in use and reload them on request through the admin API', async () => {
    const shown = await request(bridge.url!)
      .get('/api/v1/field-maps')
      .set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`)
      .expect(200);
    expect(shown.body.problems).toEqual([]);
    expect(shown.body.maps).toContainEqual({
      name: 'Contact_Account_Name',
      object: 'Contact',
      direction: 'Outbound',
      salesforceField: 'Account.Name',
      target: 'PROFILE_LIST',
      column: 'COMPANY_NAME',
      transform: 'trim|truncate:100',
    });
    const before = shown.body.loadedAt as string;
    const reloaded = await request(bridge.url!)
      .post('/api/v1/field-maps/refresh')
      .set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`)
      .expect(200);
    expect(reloaded.body.maps).toHaveLength(23);
    expect(Date.parse(reloaded.body.loadedAt as string)).toBeGreaterThanOrEqual(Date.parse(before));
    await request(bridge.url!).get('/api/v1/field-maps').expect(401);
  });

  it('count Responsys calls in the Prometheus metrics by function and outcome', async () => {
    const metrics = await request(bridge.url!).get('/metrics').expect(200);
    expect(metrics.text).toMatch(
      /responsys_bridge_api_calls_total\{service="responsys",function="mergeListRecipients",outcome="success"\} [1-9]/,
    );
    expect(metrics.text).toMatch(
      /responsys_bridge_api_calls_total\{service="responsys",function="login",outcome="success"\} 1/,
    );
  });
});
