import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProgramEnroller, type EnrolmentRequest } from '../../../bridge/src/flows/programs/enrolment.js';
import type { ProgramRoute } from '../../../bridge/src/flows/programs/routes.js';
import { openTestStore, startResponsysRig, type ResponsysRig, type StoreRig } from './support/rigs.js';

const webRoute: ProgramRoute = {
  name: 'Lead_Created_Web',
  trigger: 'LEAD_CREATED',
  matchField: 'LeadSource',
  matchValue: 'Web',
  eventName: 'SF_NEW_WEB_LEAD',
  cooldownDays: 30,
};

describe('entering people into Responsys programs', () => {
  let stores: StoreRig;
  let responsys: ResponsysRig;
  let enroller: ProgramEnroller;
  let riids: string[];

  beforeAll(async () => {
    [stores, responsys] = await Promise.all([openTestStore(), startResponsysRig()]);
    enroller = new ProgramEnroller({
      enrollments: stores.store.enrollments,
      responsys: responsys.client,
      now: () => new Date(),
    });
  });
  afterAll(async () => {
    await Promise.all([stores?.close(), responsys?.close()]);
  });

  beforeEach(async () => {
    responsys.emulator.control.reset();
    await stores.store.db.query('DELETE FROM bridge.program_enrollments');
    const merged = await responsys.client.mergeProfileMembers(
      ['a', 'b', 'c'].map((name) => ({
        CUSTOMER_ID_: `00Q00000000000${name.toUpperCase()}`,
        EMAIL_ADDRESS_: `${name}@example.com`,
        EMAIL_PERMISSION_STATUS_: 'I',
      })),
      { matchColumn: 'CUSTOMER_ID_', defaultPermissionStatus: 'OPTIN' },
    );
    riids = merged.map((outcome) => (outcome.ok ? outcome.riid : 'none'));
  });

  const request = (n: number, overrides: Partial<EnrolmentRequest> = {}): EnrolmentRequest => ({
    key: `Lead:${n}`,
    route: webRoute,
    riid: riids[n]!,
    salesforceId: `00Q00000000000${'ABC'[n]}`,
    optedOut: false,
    changeKey: `lead-${n}:CREATE`,
    correlationId: `corr-${n}`,
    ...overrides,
  });

  it('enters eligible recipients in one custom event call and records the entry', async () => {
    const results = await enroller.enrol([request(0), request(1)]);
    expect(results.map((result) => result.status)).toEqual(['entered', 'entered']);
    const entries = responsys.emulator.control.programEntries();
    expect(entries.map((entry) => [entry.eventName, String(entry.riid)])).toEqual([
      ['SF_NEW_WEB_LEAD', riids[0]],
      ['SF_NEW_WEB_LEAD', riids[1]],
    ]);
    expect(responsys.emulator.control.state(['calls']).calls?.total?.triggerCustomEvent).toBe(1);
    const stored = await stores.store.enrollments.forRecipients([riids[0]!]);
    expect(stored).toMatchObject([
      { status: 'entered', program: 'SF_NEW_WEB_LEAD', salesforceId: '00Q00000000000A' },
    ]);
  });

  it('skips an opted-out recipient with the reason and sends nothing for it', async () => {
    const [result] = await enroller.enrol([request(2, { optedOut: true })]);
    expect(result).toMatchObject({ status: 'skipped', code: 'OPTED_OUT' });
    expect(result!.reason).toContain('opted out');
    expect(responsys.emulator.control.programEntries()).toEqual([]);
  });

  it('skips a second change within the cooldown, naming when the recipient entered', async () => {
    await enroller.enrol([request(0)]);
    const [again] = await enroller.enrol([request(0, { changeKey: 'lead-0:update-1' })]);
    expect(again).toMatchObject({ status: 'skipped', code: 'COOLDOWN' });
    expect(again!.reason).toMatch(/entered it 1 min ago .* cooldown 30 days/);
    expect(responsys.emulator.control.programEntries()).toHaveLength(1);
  });

  it('never enters twice for one change, even when the route has no cooldown', async () => {
    const noCooldown = { ...webRoute, cooldownDays: 0 };
    await enroller.enrol([request(1, { route: noCooldown })]);
    const [replayed] = await enroller.enrol([request(1, { route: noCooldown })]);
    expect(replayed).toMatchObject({ status: 'skipped', code: 'ALREADY_ENTERED' });
    const [nextChange] = await enroller.enrol([request(1, { route: noCooldown, changeKey: 'lead-1:other' })]);
    expect(nextChange!.status).toBe('entered');
    expect(responsys.emulator.control.programEntries()).toHaveLength(2);
  });

  it('frees the reservation when Responsys refuses the recipient, so a later attempt can enter', async () => {
    const [unknown] = await enroller.enrol([request(0, { riid: '999999' })]);
    expect(unknown).toMatchObject({ status: 'failed', code: 'NO_RECIPIENT_FOUND', retryable: true });
    expect(await stores.store.enrollments.forRecipients(['999999'])).toEqual([]);
  });

  it('keeps the entry when a server error leaves the outcome unknown, so a retry never enrols twice', async () => {
    responsys.emulator.control.addFault({ path: '**/events/**', times: 8, fault: { type: 'serverError' } });
    const [failed] = await enroller.enrol([request(2)]);
    expect(failed).toMatchObject({ status: 'failed', code: 'OUTCOME_UNKNOWN', retryable: false });
    // The outcome of a non-idempotent call is unknown: the entry is kept so a retry cannot enrol twice.
    const [retry] = await enroller.enrol([request(2)]);
    expect(retry).toMatchObject({ status: 'skipped', code: 'ALREADY_ENTERED' });
  });

  it('frees the reservations of a call Responsys refused as a whole, so a later attempt can enter', async () => {
    responsys.emulator.control.addFault({
      path: '**/events/**',
      times: 1,
      fault: {
        type: 'error',
        params: {
          status: 400,
          errorCode: 'INVALID_REQUEST_CONTENT',
          title: 'Bad request',
          detail: 'refused',
        },
      },
    });
    const [refused] = await enroller.enrol([request(0)]);
    expect(refused).toMatchObject({ status: 'failed', code: 'INVALID_REQUEST_CONTENT' });
    expect(await stores.store.enrollments.forRecipients([riids[0]!])).toEqual([]);
    const [later] = await enroller.enrol([request(0)]);
    expect(later!.status).toBe('entered');
  });

  it('reports a route whose event Responsys does not define as failed, without keeping an entry', async () => {
    const [result] = await enroller.enrol([
      request(1, { route: { ...webRoute, eventName: 'NO_SUCH_EVENT' } }),
    ]);
    expect(result).toMatchObject({ status: 'failed', retryable: false });
    expect(result!.reason).toContain('NO_SUCH_EVENT');
    expect(await stores.store.enrollments.forRecipients([riids[1]!])).toEqual([]);
  });
});
