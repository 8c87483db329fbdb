import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as ResponsysEmulatorModule from '../../../test/emulators/responsys/index.js';
import type { ResponsysEmulator, ResponsysEmulatorOptions } from '../../../test/emulators/responsys/index.js';
import type * as SalesforceEmulatorModule from '../../../test/emulators/salesforce/index.js';
import type {
  SalesforceEmulator,
  SalesforceEmulatorOptions,
} from '../../../test/emulators/salesforce/index.js';
import { BridgeError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

// The two emulators sandbox mode runs inside the bridge process, with demo data that agrees: the
// people already in the Responsys demo account are also Contacts (at the matching demo Accounts) or
// Leads in the Salesforce demo org, with the same email, name, title and opt-out, so engagement
// for them lands on a Salesforce record. The emulators ship with a clone of the repository, not with
// a production install, and are loaded only in sandbox mode.

const salesforceEntry = new URL('../../../test/emulators/salesforce/index.ts', import.meta.url);
const responsysEntry = new URL('../../../test/emulators/responsys/index.ts', import.meta.url);

export const SANDBOX_SALESFORCE_PORT = 4010;
export const SANDBOX_RESPONSYS_PORT = 4020;

export interface SandboxEmulators {
  salesforce: SalesforceEmulator;
  responsys: ResponsysEmulator;
  close(): Promise<void>;
}

export interface SandboxEmulatorOptions {
  /** preferred ports (a port in use falls back to a free one); 0 = any */
  salesforcePort?: number;
  responsysPort?: number;
  salesforce?: SalesforceEmulatorOptions;
  responsys?: ResponsysEmulatorOptions;
}

export async function startSandboxEmulators(
  options: SandboxEmulatorOptions = {},
  logger?: Logger,
): Promise<SandboxEmulators> {
  if (!existsSync(fileURLToPath(salesforceEntry)) || !existsSync(fileURLToPath(responsysEntry))) {
    throw new BridgeError(
      'CONFIG_INVALID',
      'Sandbox mode needs the emulators of a repository clone (test/emulators is missing). Set the Salesforce ' +
        'and Responsys credentials to run in live mode (see docs/bridge-operations.md).',
    );
  }
  const { startSalesforceEmulator } = (await import(salesforceEntry.href)) as typeof SalesforceEmulatorModule;
  const { startResponsysEmulator } = (await import(responsysEntry.href)) as typeof ResponsysEmulatorModule;

  const salesforce = await onPreferredPort(
    options.salesforcePort ?? SANDBOX_SALESFORCE_PORT,
    logger,
    (port) => startSalesforceEmulator({ demoData: true, ...options.salesforce, port }),
  );
  let responsys: ResponsysEmulator;
  try {
    responsys = await onPreferredPort(options.responsysPort ?? SANDBOX_RESPONSYS_PORT, logger, (port) =>
      startResponsysEmulator({ demoData: true, sftp: false, ...options.responsys, port }),
    );
  } catch (error) {
    await salesforce.close();
    throw error;
  }
  agreeOnDemoPeople(salesforce, responsys);
  return {
    salesforce,
    responsys,
    async close() {
      await Promise.allSettled([responsys.close(), salesforce.close()]);
    },
  };
}

async function onPreferredPort<T>(
  port: number,
  logger: Logger | undefined,
  start: (port: number) => Promise<T>,
) {
  try {
    return await start(port);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0) throw error;
    logger?.warn({ port }, `port ${port} is in use; the sandbox emulator takes a free one`);
    return start(0);
  }
}

const SOURCES: Record<string, string> = {
  WEB: 'Web',
  PHONE: 'Phone Inquiry',
  PARTNER: 'Partner Referral',
  OTHER: 'Other',
};

/**
 * Gives every Responsys demo recipient a Salesforce counterpart with the same email: a Contact when
 * an Account of its company exists, otherwise a Lead. Written as the org's admin before the bridge
 * subscribes, so they are existing data (the first sync of a change links them by email).
 */
export function agreeOnDemoPeople(salesforce: SalesforceEmulator, responsys: ResponsysEmulator): void {
  const list = responsys.control.state(['lists']).lists?.[responsys.profileList.name];
  if (!list) return;
  const accounts = new Map(
    salesforce
      .query<{ Id: string; Name: string }>('SELECT Id, Name FROM Account')
      .map((account) => [account.Name.toLowerCase(), account.Id]),
  );
  const known = new Set(
    [
      ...salesforce.query<{ Email: string | null }>('SELECT Email FROM Contact'),
      ...salesforce.query<{ Email: string | null }>('SELECT Email FROM Lead'),
    ]
      .map((person) => person.Email?.toLowerCase())
      .filter(Boolean),
  );
  const contacts: Array<Record<string, string | boolean | null>> = [];
  const leads: Array<Record<string, string | boolean | null>> = [];
  for (const member of list.members) {
    const email = member.EMAIL_ADDRESS_?.toLowerCase();
    if (!email || known.has(email)) continue;
    const person = {
      FirstName: member.FIRST_NAME ?? null,
      LastName: member.LAST_NAME ?? email.split('@')[0]!,
      Title: member.TITLE ?? null,
      Email: email,
      LeadSource: SOURCES[member.LEAD_SOURCE ?? ''] ?? 'Other',
      HasOptedOutOfEmail: member.EMAIL_PERMISSION_STATUS_ === 'O',
    };
    const accountId = accounts.get((member.COMPANY_NAME ?? '').toLowerCase());
    if (accountId) contacts.push({ ...person, AccountId: accountId, MailingCity: member.CITY_ ?? null });
    else leads.push({ ...person, Company: member.COMPANY_NAME ?? 'Unknown', City: member.CITY_ ?? null });
  }
  if (contacts.length > 0) salesforce.insert('Contact', contacts, { asUser: 'admin@example.com' });
  if (leads.length > 0) salesforce.insert('Lead', leads, { asUser: 'admin@example.com' });
}
