import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DirectoryLocation,
  InboundFileReader,
  SftpLocation,
  connectFileOrder,
  detectDelimiter,
  parseConnectFileName,
  parseConnectTimestamp,
  parseDelimitedRecord,
  type FileChunk,
  type InboundFileReaderOptions,
} from '../../../bridge/src/responsys/files/index.js';
import { createLogger } from '../../../bridge/src/shared/logger.js';
import { openStore, type Store } from '../../../bridge/src/store/store.js';
import {
  feedColumns,
  startResponsysEmulator,
  type ResponsysEmulator,
} from '../../emulators/responsys/index.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';

const silent = createLogger({ level: 'silent' });

describe('Connect file formats', () => {
  it('splits quoted values with doubled quotes and delimiters inside quotes', () => {
    expect(parseDelimitedRecord('1,"a, b","say ""hi""",', ',')).toEqual({
      complete: true,
      values: ['1', 'a, b', 'say "hi"', ''],
    });
    expect(parseDelimitedRecord('x|"open', '|')).toEqual({ complete: false });
  });

  it.each([
    [',', 'EVENT_TYPE_ID,ACCOUNT_ID,RIID'],
    [';', 'EVENT_TYPE_ID;ACCOUNT_ID;RIID'],
    ['\t', 'EVENT_TYPE_ID\tACCOUNT_ID\tRIID'],
    ['|', 'EVENT_TYPE_ID|ACCOUNT_ID|RIID'],
  ])('detects the %j delimiter from a header line', (delimiter, header) => {
    expect(detectDelimiter(header)).toBe(delimiter);
  });

  it('reads DD-MON-YYYY HH24:MI:SS as UTC whatever the case of the month', () => {
    expect(parseConnectTimestamp('03-JAN-2019 13:05:32')?.toISOString()).toBe('2019-01-03T13:05:32.000Z');
    expect(parseConnectTimestamp('3-Jan-2019 13:05:32')?.toISOString()).toBe('2019-01-03T13:05:32.000Z');
    expect(parseConnectTimestamp('2019-01-03 13:05:32')?.toISOString()).toBe('2019-01-03T13:05:32.000Z');
    expect(parseConnectTimestamp('  ')).toBeUndefined();
  });

  it('refuses impossible dates and other formats with the value in the message', () => {
    expect(() => parseConnectTimestamp('31-FEB-2020 10:00:00')).toThrow(/31-FEB-2020/);
    expect(() => parseConnectTimestamp('yesterday')).toThrow(/DD-MON-YYYY/);
  });

  it('parses feed, profile-list and marker file names', () => {
    expect(parseConnectFileName('1234_CLICK_20190103_130532.txt')).toMatchObject({
      accountId: '1234',
      feed: 'CLICK',
      extension: 'txt',
      exportedAt: new Date('2019-01-03T13:05:32Z'),
    });
    expect(parseConnectFileName('1234_OPT_OUT_20190103_130532.txt')?.feed).toBe('OPT_OUT');
    expect(parseConnectFileName('12345_PROFILE_LIST_CONTACTS_LIST_20240101_000000.txt')).toMatchObject({
      feed: 'PROFILE_LIST',
      listName: 'CONTACTS_LIST',
    });
    expect(parseConnectFileName('1234_CLICK_20190103_130532.ready')?.extension).toBe('ready');
    expect(parseConnectFileName('notes.txt')).toBeUndefined();
  });
});

describe('InboundFileReader', () => {
  let database: TestDatabase;
  let store: Store;
  let dir: string;

  beforeAll(async () => {
    database = await createTestDatabase('files');
    store = await openStore({ databaseUrl: database.url, dataDir: 'unused', instanceId: 'files-test' });
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'export-files-'));
    await store.db.query('DELETE FROM bridge.inbound_files');
    await store.db.query('DELETE FROM bridge.watermarks');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const reader = (overrides: Partial<InboundFileReaderOptions> = {}) =>
    new InboundFileReader({
      location: new DirectoryLocation(dir),
      store,
      source: 'test-ced',
      accept: (file) => file.name.endsWith('.txt'),
      settleMs: 0,
      chunkRows: 2,
      logger: silent,
      ...overrides,
    });

  const collect = () => {
    const rows: Array<Record<string, string>> = [];
    const chunks: FileChunk[] = [];
    const handler = async (chunk: FileChunk) => {
      chunks.push(chunk);
      await store.transaction(async (repos) => {
        rows.push(...chunk.rows.map((row) => row.values));
        await chunk.savePosition(repos.inboundFiles);
      });
    };
    return { rows, chunks, handler };
  };

  const clickFile = (delimiter = ',') =>
    [
      ['EVENT_TYPE_ID', 'RIID', 'EVENT_CAPTURED_DT', 'OFFER_URL'],
      ['5', '101', '03-JAN-2019 13:05:32', '"https://x.example/a,b"'],
      ['5', '102', '03-JAN-2019 13:06:00', 'https://x.example/pricing'],
      ['5', '103', '03-JAN-2019 13:07:00', 'https://x.example/c'],
      ['5', '104', '03-JAN-2019 13:08:00', 'https://x.example/d'],
      ['5', '105', '03-JAN-2019 13:09:00', 'https://x.example/e'],
    ]
      .map((cells) => cells.join(delimiter))
      .join('\r\n') + '\r\n';

  it('reads columns by header name in chunks and moves the file to processed/', async () => {
    await writeFile(join(dir, '1_CLICK_20190103_130532.txt'), clickFile(';'));
    const { rows, chunks, handler } = collect();
    const [result] = await reader().readAll(handler);
    expect(result).toMatchObject({ status: 'done', rows: 5, problems: 0 });
    expect(chunks.map((chunk) => chunk.rows.length)).toEqual([2, 2, 1]);
    expect(chunks[0]!.delimiter).toBe(';');
    expect(rows[0]).toEqual({
      EVENT_TYPE_ID: '5',
      RIID: '101',
      EVENT_CAPTURED_DT: '03-JAN-2019 13:05:32',
      OFFER_URL: 'https://x.example/a,b',
    });
    expect(await readdir(dir)).toEqual(['processed']);
    expect(await readdir(join(dir, 'processed'))).toEqual(['1_CLICK_20190103_130532.txt']);
  });

  it('never reads a file twice, even when it is left in place', async () => {
    await writeFile(join(dir, '1_CLICK_20190103_130532.txt'), clickFile());
    const first = collect();
    await reader({ afterRead: 'keep' }).readAll(first.handler);
    const second = collect();
    const results = await reader({ afterRead: 'keep' }).readAll(second.handler);
    expect(first.rows).toHaveLength(5);
    expect(results).toEqual([]);
    expect(second.rows).toEqual([]);
  });

  it('resumes after the last saved chunk when reading stopped in the middle of a file', async () => {
    await writeFile(join(dir, '1_CLICK_20190103_130532.txt'), clickFile());
    const seen: string[] = [];
    let calls = 0;
    const crashing = async (chunk: FileChunk) => {
      calls += 1;
      if (calls === 2) throw new Error('process killed');
      await store.transaction(async (repos) => {
        seen.push(...chunk.rows.map((row) => row.values.RIID!));
        await chunk.savePosition(repos.inboundFiles);
      });
    };
    await expect(reader().readAll(crashing)).rejects.toThrow('process killed');
    const progress = await store.inboundFiles.get('test-ced', '1_CLICK_20190103_130532.txt');
    expect(progress).toMatchObject({ status: 'reading', linesDone: 3 });

    const resumed = collect();
    const [result] = await reader().readAll(resumed.handler);
    expect(result).toMatchObject({ status: 'done', resumedAfterLine: 3, rows: 3 });
    expect([...seen, ...resumed.rows.map((row) => row.RIID)]).toEqual(['101', '102', '103', '104', '105']);
  });

  it('keeps a malformed row with its problem and reads the rows around it', async () => {
    await writeFile(
      join(dir, '1_CLICK_20190103_130532.txt'),
      'EVENT_TYPE_ID,RIID,OFFER_URL\n5,101,https://a.example\n5,102\n5,103,"https://c.example\n',
    );
    const problems: Array<{ line: number; problem?: string }> = [];
    const [result] = await reader({ chunkRows: 100 }).readAll(async (chunk) => {
      for (const row of chunk.rows) problems.push({ line: row.line, problem: row.problem });
    });
    expect(result).toMatchObject({ status: 'done', rows: 3, problems: 2 });
    expect(problems).toEqual([
      { line: 2, problem: undefined },
      { line: 3, problem: 'expected 3 values, found 2' },
      { line: 4, problem: 'the file ends inside a quoted value' },
    ]);
  });

  it('reads a file without a header row in the documented column order', async () => {
    await writeFile(join(dir, '1_OPT_OUT_20190103_130532.txt'), '7|1|7001|101||03-JAN-2019 13:05:32\n');
    const { rows, handler } = collect();
    await reader({
      documentedColumns: () => [
        'EVENT_TYPE_ID',
        'ACCOUNT_ID',
        'LIST_ID',
        'RIID',
        'CUSTOMER_ID',
        'EVENT_CAPTURED_DT',
      ],
    }).readAll(handler);
    expect(rows).toEqual([
      {
        EVENT_TYPE_ID: '7',
        ACCOUNT_ID: '1',
        LIST_ID: '7001',
        RIID: '101',
        CUSTOMER_ID: '',
        EVENT_CAPTURED_DT: '03-JAN-2019 13:05:32',
      },
    ]);
  });

  it('marks a file that cannot be read as failed, sets it aside and reads the next one', async () => {
    await writeFile(join(dir, '1_CLICK_20190103_130000.txt'), '5,101,x\n');
    await writeFile(join(dir, '1_CLICK_20190103_130532.txt'), clickFile());
    const { rows, handler } = collect();
    const results = await reader().readAll(handler);
    expect(results.map((result) => result.status)).toEqual(['failed', 'done']);
    expect(results[0]!.error).toMatch(/not a header row/);
    expect(rows).toHaveLength(5);
    expect(await readdir(join(dir, 'failed'))).toEqual(['1_CLICK_20190103_130000.txt']);
    expect((await store.inboundFiles.list('test-ced', 'failed')).map((file) => file.fileName)).toEqual([
      '1_CLICK_20190103_130000.txt',
    ]);
  });

  it('waits for .ready markers once the folder uses them, and moves each marker with its file', async () => {
    await writeFile(join(dir, '1_CLICK_20190103_130532.txt'), clickFile());
    await writeFile(join(dir, '1_CLICK_20190103_130532.ready'), '');
    await writeFile(join(dir, '1_OPEN_20190103_130532.txt'), 'EVENT_TYPE_ID,RIID\n4,101\n');
    const { rows, handler } = collect();
    const results = await reader().readAll(handler);
    expect(results.map((result) => result.file)).toEqual(['1_CLICK_20190103_130532.txt']);
    expect(rows).toHaveLength(5);
    expect((await readdir(join(dir, 'processed'))).sort()).toEqual([
      '1_CLICK_20190103_130532.ready',
      '1_CLICK_20190103_130532.txt',
    ]);
    // No marker left in the folder now, but the reader remembers that this folder uses them.
    expect(await reader().readyFiles()).toEqual([]);
    await writeFile(join(dir, '1_OPEN_20190103_130532.ready'), '');
    expect((await reader().readyFiles()).map((file) => file.name)).toEqual(['1_OPEN_20190103_130532.txt']);
  });

  it('leaves a file without marker alone until it has settled', async () => {
    const path = join(dir, '1_CLICK_20190103_130532.txt');
    await writeFile(path, clickFile());
    expect(await reader({ settleMs: 60_000 }).readyFiles()).toEqual([]);
    const old = new Date(Date.now() - 120_000);
    await utimes(path, old, old);
    expect(await reader({ settleMs: 60_000 }).readyFiles()).toHaveLength(1);
  });

  it('orders files by the export time in their names', () => {
    const at = new Date();
    const names = [
      '9_OPEN_20200101_000002.txt',
      '9_CLICK_20200101_000001.txt',
      '9_BOUNCE_20200101_000002.txt',
    ];
    const sorted = names
      .map((name) => ({ name, size: 1, modifiedAt: at }))
      .sort(connectFileOrder)
      .map((file) => file.name);
    expect(sorted).toEqual([
      '9_CLICK_20200101_000001.txt',
      '9_BOUNCE_20200101_000002.txt',
      '9_OPEN_20200101_000002.txt',
    ]);
  });

  it('fails a file that became shorter than the part already read', async () => {
    const path = join(dir, '1_CLICK_20190103_130532.txt');
    await writeFile(path, clickFile());
    await store.inboundFiles.begin('test-ced', '1_CLICK_20190103_130532.txt');
    await store.inboundFiles.advance('test-ced', '1_CLICK_20190103_130532.txt', {
      linesDone: 3,
      byteOffset: 10_000,
    });
    const [result] = await reader().readAll(async () => undefined);
    expect(result).toMatchObject({ status: 'failed' });
    expect(result!.error).toMatch(/replaced after reading started/);
  });
});

describe('Connect files over SFTP (the Responsys emulator)', () => {
  let emulator: ResponsysEmulator;
  let database: TestDatabase;
  let store: Store;

  beforeAll(async () => {
    emulator = await startResponsysEmulator({ demoData: true, ced: { delimiter: '\t', readyFiles: true } });
    database = await createTestDatabase('sftp_files');
    store = await openStore({ databaseUrl: database.url, dataDir: 'unused', instanceId: 'sftp-test' });
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
    await emulator?.close();
  });

  const location = (fingerprint?: string) =>
    new SftpLocation({
      host: emulator.sftp!.host,
      port: emulator.sftp!.port,
      username: emulator.sftp!.username,
      password: emulator.sftp!.password,
      path: '/',
      hostKeyFingerprint: fingerprint,
      timeoutMs: 5_000,
    });

  it('reads exported feeds by header name from SFTP and moves them to processed/', async () => {
    emulator.control.injectEngagement([
      {
        type: 'clicked',
        recipient: { email: 'ava.thompson@example.com' },
        link: { url: 'https://x.example/p' },
      },
      { type: 'opened', recipient: { email: 'ava.thompson@example.com' } },
    ]);
    await emulator.control.exportEventFiles({ profileLists: false });
    const sftp = location(emulator.sftp!.hostKeyFingerprint);
    try {
      const reader = new InboundFileReader({
        location: sftp,
        store,
        source: 'sftp-ced',
        accept: (file) => parseConnectFileName(file.name)?.feed === 'CLICK',
        documentedColumns: () => feedColumns.CLICK,
        logger: silent,
      });
      const rows: Array<Record<string, string>> = [];
      const results = await reader.readAll(async (chunk) => {
        rows.push(...chunk.rows.map((row) => row.values));
      });
      expect(results).toHaveLength(1);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.OFFER_URL).toBe('https://x.example/p');
      expect(Object.keys(rows[0]!)).toEqual(feedColumns.CLICK);
      const remaining = (await sftp.list()).map((file) => file.name);
      expect(remaining.some((name) => name.includes('_CLICK_'))).toBe(false);
      expect(remaining.some((name) => name.includes('_OPEN_'))).toBe(true);
      const stream = await sftp.read(
        remaining.find((name) => name.includes('_OPEN_') && name.endsWith('.txt'))!,
        3,
      );
      let text = '';
      for await (const chunk of stream) text += String(chunk);
      expect(text.startsWith('NT_TYPE_ID')).toBe(true);
    } finally {
      await sftp.close();
    }
  });

  it('refuses a server whose host key is not the pinned one', async () => {
    const sftp = location('SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    try {
      await expect(sftp.list()).rejects.toThrow(/presented host key SHA256:/);
    } finally {
      await sftp.close();
    }
  });
});
