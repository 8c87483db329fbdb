import { responsysLogin, salesforceLogin, send } from './http.js';

// The per-record baseline: what recipe-based integrations do, one record at a time: look the record
// up in Salesforce (one REST call), then merge it into the profile list (one Responsys call with one
// record), then the next. It runs for a fixed time and reports records a second.

export interface BaselineResult {
  records: number;
  durationMs: number;
  salesforceCalls: number;
  responsysCalls: number;
  failed: number;
}

export async function runPerRecordBaseline(options: {
  salesforceUrl: string;
  clientId: string;
  clientSecret: string;
  responsysUrl: string;
  responsysUsername: string;
  responsysPassword: string;
  profileList: string;
  contactIds: string[];
  maxMs: number;
}): Promise<BaselineResult> {
  const session = await salesforceLogin(options.salesforceUrl, {
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    username: 'bridge@example.com',
    password: 'password',
  });
  const token = await responsysLogin(
    options.responsysUrl,
    options.responsysUsername,
    options.responsysPassword,
  );
  const fields = 'Id,Email,FirstName,LastName,Title,Phone,MailingCity,MailingCountry,HasOptedOutOfEmail';
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
  let records = 0;
  let failed = 0;
  for (const id of options.contactIds) {
    if (elapsed() >= options.maxMs) break;
    const lookup = await send(
      `${session.instanceUrl}/services/data/v62.0/sobjects/Contact/${id}?fields=${fields}`,
      {
        method: 'GET',
        headers: { authorization: `Bearer ${session.accessToken}` },
      },
    );
    const contact = JSON.parse(lookup.body) as Record<string, string | boolean | null>;
    const merge = await send(`${options.responsysUrl}/rest/api/v1.3/lists/${options.profileList}/members`, {
      method: 'POST',
      headers: { authorization: token, 'content-type': 'application/json' },
      body: JSON.stringify({
        recordData: {
          fieldNames: [
            'CUSTOMER_ID_',
            'EMAIL_ADDRESS_',
            'FIRST_NAME',
            'LAST_NAME',
            'TITLE',
            'EMAIL_PERMISSION_STATUS_',
          ],
          records: [
            [
              id,
              String(contact.Email ?? '')
                .trim()
                .toLowerCase(),
              contact.FirstName,
              contact.LastName,
              contact.Title,
              contact.HasOptedOutOfEmail ? 'O' : 'I',
            ],
          ],
          mapTemplateName: null,
        },
        mergeRule: {
          htmlValue: 'H',
          textValue: 'T',
          optinValue: 'I',
          optoutValue: 'O',
          insertOnNoMatch: true,
          updateOnMatch: 'REPLACE_ALL',
          matchColumnName1: 'CUSTOMER_ID_',
          matchColumnName2: null,
          matchOperator: 'NONE',
          rejectRecordIfChannelEmpty: null,
          defaultPermissionStatus: 'OPTIN',
        },
      }),
    });
    records += 1;
    if (lookup.status !== 200 || merge.status !== 200) failed += 1;
  }
  return { records, durationMs: elapsed(), salesforceCalls: records, responsysCalls: records, failed };
}
