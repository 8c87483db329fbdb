import { promisify } from 'node:util';
import ssh2, { type ConnectConfig, type FileEntryWithStats, type SFTPWrapper, type Stats } from 'ssh2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startResponsysEmulator, type ResponsysEmulator } from '../index.js';

// The event-files SFTP server, exercised with the ssh2 client the bridge will use.

const { Client, utils } = ssh2;

interface Session {
  sftp: SFTPWrapper;
  end(): void;
}

function connect(config: ConnectConfig): Promise<Session> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client
      .on('ready', () =>
        client.sftp((error, sftp) => (error ? reject(error) : resolve({ sftp, end: () => client.end() }))),
      )
      .on('error', reject)
      .connect({ readyTimeout: 10_000, ...config });
  });
}

describe('Responsys event files over SFTP', () => {
  const clientKey = utils.generateKeyPairSync('ed25519');
  let emulator: ResponsysEmulator;
  const sessions: Session[] = [];

  beforeAll(async () => {
    emulator = await startResponsysEmulator({ demoData: true, sftp: { authorizedKeys: [clientKey.public] } });
  });
  afterEach(() => {
    for (const session of sessions.splice(0)) session.end();
  });
  afterAll(() => emulator.close());

  const open = async (config: Partial<ConnectConfig> = {}) => {
    const session = await connect({
      host: emulator.sftp!.host,
      port: emulator.sftp!.port,
      username: emulator.sftp!.username,
      password: emulator.sftp!.password,
      ...config,
    });
    sessions.push(session);
    return session.sftp;
  };

  it('advertises an sftp:// URL with the credentials, host and port', () => {
    const url = new URL(emulator.sftpUrl!);
    expect(url.protocol).toBe('sftp:');
    expect(url.username).toBe('sftp_user');
    expect(url.password).toBe('sftp_password');
    expect(Number(url.port)).toBe(emulator.sftp!.port);
  });

  it('lists, stats and reads an exported file after password authentication', async () => {
    emulator.control.injectEngagement([{ type: 'opened', recipient: { email: 'ava.thompson@example.com' } }]);
    const [file] = await emulator.control.exportEventFiles({ feeds: ['OPEN'], profileLists: false });
    const sftp = await open();

    const entries = (await promisify(sftp.readdir.bind(sftp))('/')) as FileEntryWithStats[];
    const entry = entries.find((e) => e.filename === file!.name);
    expect(entry).toBeDefined();
    expect(entry!.longname).toMatch(new RegExp(`^-rw.* ${file!.name}$`));
    const stats = (await promisify(sftp.stat.bind(sftp))(`/${file!.name}`)) as Stats;
    expect(stats.isFile()).toBe(true);
    const content = (await promisify(sftp.readFile.bind(sftp))(`/${file!.name}`)) as Buffer;
    expect(stats.size).toBe(content.length);
    expect(content.toString('utf8')).toMatch(/^EVENT_TYPE_ID,ACCOUNT_ID,LIST_ID,RIID,/);
    const lstats = (await promisify(sftp.lstat.bind(sftp))(`/${file!.name}`)) as Stats;
    expect(lstats.size).toBe(content.length);
    const handle = (await promisify(sftp.open.bind(sftp))(`/${file!.name}`, 'r')) as Buffer;
    const fstats = (await promisify(sftp.fstat.bind(sftp))(handle)) as Stats;
    expect(fstats.size).toBe(content.length);
    await promisify(sftp.close.bind(sftp))(handle);
    expect(await promisify(sftp.realpath.bind(sftp))('.')).toBe('/');
  });

  it('lets a consumer move processed files into a folder and delete others', async () => {
    emulator.control.injectEngagement([
      { type: 'opened', recipient: { email: 'liam.garcia@example.com' } },
      { type: 'sent', recipient: { email: 'liam.garcia@example.com' } },
    ]);
    const files = await emulator.control.exportEventFiles({ profileLists: false });
    const opened = files.find((f) => f.feed === 'OPEN')!;
    const sent = files.find((f) => f.feed === 'SENT')!;
    const sftp = await open();
    await new Promise<void>((resolve, reject) =>
      sftp.mkdir('/processed', (e) => (e ? reject(e) : resolve())),
    );
    await promisify(sftp.rename.bind(sftp))(`/${opened.name}`, `/processed/${opened.name}`);
    await promisify(sftp.unlink.bind(sftp))(`/${sent.name}`);
    const root = ((await promisify(sftp.readdir.bind(sftp))('/')) as FileEntryWithStats[]).map(
      (e) => e.filename,
    );
    expect(root).toContain('processed');
    expect(root).not.toContain(opened.name);
    expect(root).not.toContain(sent.name);
    const moved = ((await promisify(sftp.readdir.bind(sftp))('/processed')) as FileEntryWithStats[]).map(
      (e) => e.filename,
    );
    expect(moved).toEqual([opened.name]);
  });

  it('refuses to rename onto an existing file and reports missing files as such', async () => {
    emulator.control.injectEngagement([
      { type: 'opened', recipient: { email: 'mia.chen@example.com' } },
      { type: 'clicked', recipient: { email: 'mia.chen@example.com' }, link: { url: 'https://example.com' } },
    ]);
    const files = await emulator.control.exportEventFiles({ feeds: ['OPEN', 'CLICK'], profileLists: false });
    const [a, b] = files.map((f) => f.name);
    const sftp = await open();
    await expect(promisify(sftp.rename.bind(sftp))(`/${a}`, `/${b}`)).rejects.toThrow();
    await expect(promisify(sftp.stat.bind(sftp))('/no-such-file.txt')).rejects.toMatchObject({ code: 2 });
  });

  it('keeps clients inside the event-files directory', async () => {
    const sftp = await open();
    expect(await promisify(sftp.realpath.bind(sftp))('/../../etc')).toBe('/etc');
    await expect(promisify(sftp.readFile.bind(sftp))('/../../../etc/hostname')).rejects.toMatchObject({
      code: 2,
    });
  });

  it('accepts an authorized public key and rejects a wrong password or an unknown key', async () => {
    const keyed = await open({ password: undefined, privateKey: clientKey.private });
    expect(
      ((await promisify(keyed.readdir.bind(keyed))('/')) as FileEntryWithStats[]).length,
    ).toBeGreaterThanOrEqual(0);
    await expect(open({ password: 'wrong' })).rejects.toThrow(/authentication/i);
    const stranger = utils.generateKeyPairSync('ed25519');
    await expect(open({ password: undefined, privateKey: stranger.private })).rejects.toThrow(
      /authentication/i,
    );
  });
});
