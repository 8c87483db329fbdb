import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startResponsysEmulator, type AccountDefinitionInput, type ResponsysEmulator } from '../index.js';
import { call, mergeBody } from './support.js';

// Replays every request of the recorded real Responsys traffic against the emulator and compares the
// answers: status code, content type, gateway headers, and the structure of the body (keys, value
// types and formats, links, error envelopes). Tokens, RIIDs and timestamps are generated, so they are
// compared by format, and by consistency: a value the recording repeats (the same RIID merged twice)
// must repeat in the emulator too.

interface RecordedCall {
  scope: string;
  method: string;
  path: string;
  body: unknown;
  status: number;
  response: unknown;
  rawHeaders: string[];
}

const recordedDir = join(dirname(fileURLToPath(import.meta.url)), 'recorded');
const cassettes = readdirSync(recordedDir)
  .filter((f) => f.endsWith('.json'))
  .sort();

/** The account the recordings imply: their list, table, event and campaign names, user test/test. */
const recordedAccount: AccountDefinitionInput = {
  accountId: '5009',
  profileLists: [
    {
      name: 'api_list_example',
      folderName: 'test_api',
      listId: 101,
      customFields: [{ fieldName: 'BIRTHDATE', fieldType: 'TIMESTAMP' }],
    },
    {
      name: 'CONTACTS_LIST',
      folderName: 'CONTACTS_LIST',
      listId: 102,
      customFields: [
        { fieldName: 'FIST_NAME', fieldType: 'STR100' },
        { fieldName: 'LAST_NAME', fieldType: 'STR100' },
      ],
    },
  ],
  supplementalTables: [
    {
      name: 'test_api_responsys',
      folderName: 'test_api',
      primaryKey: ['OFFERID'],
      fields: [
        { fieldName: 'OFFERID', fieldType: 'INTEGER' },
        { fieldName: 'OFFERNAME', fieldType: 'STR255' },
        { fieldName: 'OFFEREMAIL', fieldType: 'STR500' },
        { fieldName: 'OFFERDATE', fieldType: 'TIMESTAMP' },
      ],
    },
  ],
  customEvents: [{ eventName: 'test', programName: 'Recorded test program' }],
  campaigns: [
    { campaignId: 90001, name: '[TEST]_Masivo_Cyber_Nov17_test', listName: 'CONTACTS_LIST', launchId: 91001 },
  ],
};

function header(raw: string[], name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === name.toLowerCase()) return raw[i + 1];
  return undefined;
}

/** Keeps generated values consistent: one recorded value always maps to one emulator value, and back. */
class Bindings {
  private readonly forward = new Map<string, string>();
  private readonly backward = new Map<string, string>();

  bind(kind: string, recorded: unknown, actual: unknown, where: string): void {
    const r = `${kind}:${String(recorded)}`;
    const a = `${kind}:${String(actual)}`;
    const known = this.forward.get(r);
    if (known !== undefined)
      expect(a, `${where}: the recording repeats ${recorded}, so must the emulator`).toBe(known);
    const back = this.backward.get(a);
    if (back !== undefined)
      expect(r, `${where}: the emulator repeats ${actual} where the recording does not`).toBe(back);
    this.forward.set(r, a);
    this.backward.set(a, r);
  }
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function expectSameShape(
  recorded: unknown,
  actual: unknown,
  where: string,
  context: { bindings: Bindings; baseUrl: string; riidColumn: boolean },
): void {
  const key = where
    .split('.')
    .pop()!
    .replace(/\[\d+\]$/, '');
  if (key === 'authToken') {
    expect(actual, where).toMatch(/^E[A-Za-z0-9_-]{53}$/);
    return;
  }
  if (key === 'issuedAt') {
    expect(typeof actual, where).toBe('number');
    expect(Number.isInteger(actual) && (actual as number) > 1e12, `${where} is epoch milliseconds`).toBe(
      true,
    );
    return;
  }
  if (key === 'endPoint') {
    expect(actual, `${where} is the emulator's own base URL, no trailing slash`).toBe(context.baseUrl);
    expect(actual, where).toMatch(/^https?:\/\/[^/]+$/);
    return;
  }
  if (key === 'recipientId') {
    expect(typeof actual, where).toBe('number');
    if (recorded === -1) expect(actual, where).toBe(-1);
    else {
      expect(Number.isInteger(actual) && (actual as number) > 0, `${where} is an RIID`).toBe(true);
      context.bindings.bind('riid', recorded, actual, where);
    }
    return;
  }
  expect(typeOf(actual), `${where}: type`).toBe(typeOf(recorded));
  if (Array.isArray(recorded)) {
    const values = actual as unknown[];
    expect(values.length, `${where}: length`).toBe(recorded.length);
    recorded.forEach((item, i) => expectSameShape(item, values[i], `${where}[${i}]`, context));
    return;
  }
  if (recorded !== null && typeof recorded === 'object') {
    const object = actual as Record<string, unknown>;
    expect(Object.keys(object).sort(), `${where}: keys`).toEqual(Object.keys(recorded).sort());
    const recordData = (recorded as { recordData?: { fieldNames?: string[] } }).recordData;
    for (const [name, value] of Object.entries(recorded)) {
      const riidColumn =
        name === 'recordData'
          ? JSON.stringify(recordData?.fieldNames) === '["RIID_"]'
          : context.riidColumn && (name === 'records' || where.includes('.records'));
      expectSameShape(value, object[name], `${where}.${name}`, { ...context, riidColumn });
    }
    return;
  }
  if (context.riidColumn && typeof recorded === 'string' && /^\d+$/.test(recorded)) {
    expect(actual, `${where} is an RIID`).toMatch(/^\d+$/);
    context.bindings.bind('riid', recorded, actual, where);
    return;
  }
  expect(actual, where).toEqual(recorded);
}

describe.each(cassettes)('recorded Responsys traffic in %s', (cassette) => {
  const recorded = JSON.parse(readFileSync(join(recordedDir, cassette), 'utf8')) as RecordedCall[];
  let emulator: ResponsysEmulator;
  let seededRiid: string | undefined;

  beforeAll(async () => {
    emulator = await startResponsysEmulator({
      username: 'test',
      password: 'test',
      account: recordedAccount,
      sftp: false,
    });
    if (cassette === 'custom-event-trigger.json') {
      // The recorded custom event found tsuarez@comparaonline.com in CONTACTS_LIST.
      const login = await call<{ authToken: string }>(`${emulator.url}/rest/api/v1.3/auth/token`, {
        form: 'user_name=test&password=test&auth_type=password',
      });
      const merged = await call<{ recordData: { records: string[][] } }>(
        `${emulator.url}/rest/api/v1.3/lists/CONTACTS_LIST/members`,
        { token: login.body.authToken, json: mergeBody(['EMAIL_ADDRESS_'], [['tsuarez@comparaonline.com']]) },
      );
      seededRiid = merged.body.recordData.records[0]![0];
    }
  });
  afterAll(() => emulator.close());

  it('answers every recorded request with the recorded status, headers and body structure', async () => {
    expect(recorded.length).toBeGreaterThan(0);
    const bindings = new Bindings();
    // A token the emulator never issued stands in for the stale tokens the recordings used.
    const staleToken = 'Ec6U1_zmZjpUqL3AFhk3T3NIyhqkP_XIrMrlFOCZBxYSFNnD8iXViM';
    let token: string | undefined;
    for (const [i, entry] of recorded.entries()) {
      const where = `${cassette}#${i} ${entry.method} ${entry.path}`;
      const isAuth = entry.path === '/rest/api/v1.3/auth/token';
      const answer = isAuth
        ? await call(`${emulator.url}${entry.path}`, {
            method: entry.method,
            form: String(entry.body),
            token: String(entry.body).includes('auth_type=token') ? token : undefined,
          })
        : await call(`${emulator.url}${entry.path}`, {
            method: entry.method,
            json: entry.body,
            token: entry.status === 401 ? staleToken : token,
          });

      expect(answer.status, `${where}: status`).toBe(entry.status);
      expect(answer.headers.get('content-type'), `${where}: content type`).toBe(
        header(entry.rawHeaders, 'Content-Type'),
      );
      expect(answer.headers.get('server'), `${where}: Server header`).toBe('Apache');
      expect(answer.headers.get('x-correlationid'), `${where}: X-CorrelationID`).toMatch(
        /^Id-[0-9a-f]{24} 0$/,
      );
      expect(answer.headers.get('retry-after'), `${where}: no Retry-After`).toBeNull();
      expectSameShape(entry.response, answer.body, where, {
        bindings,
        baseUrl: emulator.url,
        riidColumn: false,
      });
      if (isAuth && answer.status === 200) token = (answer.body as { authToken: string }).authToken;
    }
    if (cassette === 'custom-event-trigger.json') {
      // The successful trigger put the recipient that exists into the event's program, once.
      const entries = emulator.control.programEntries();
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({
        eventName: 'test',
        riid: Number(seededRiid),
        emailAddress: 'tsuarez@comparaonline.com',
        optionalData: { FIST_NAME: 'name', LAST_NAME: 'last name' },
      });
    }
  });
});
