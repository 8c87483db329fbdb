import { Router, type Request } from 'express';
import type { ResponsysCore } from '../core.js';
import { isEmailAddress } from '../account/fieldValues.js';
import { injectEngagement } from '../engagement/inject.js';
import { apiRoute } from '../http/route.js';
import { errors } from '../http/wire.js';
import { mergeProfileMembers } from '../lists/mergeMembers.js';
import { MAX_RECORDS_PER_REQUEST } from '../options.js';
import type { MemberRecord, ProfileList } from '../store/profileList.js';

// Custom events (a recipient enters the program listening to the event) and triggered email. Both
// answer HTTP 200 with one result per recipient, in request order; a recipient must already exist in
// the list (neither call merges, except Merge Trigger Email).

const V13 = '/rest/api/v1.3';

interface RecipientSpec {
  listName?: { folderName?: unknown; objectName?: unknown };
  recipientId?: unknown;
  customerId?: unknown;
  emailAddress?: unknown;
  mobileNumber?: unknown;
  emailMD5Hash?: unknown;
  emailSHA256Hash?: unknown;
  emailFormat?: unknown;
}

const present = (value: unknown): value is string | number =>
  (typeof value === 'string' && value !== '') || typeof value === 'number';

/** RIID first, then customer id, email, mobile number, and the email hashes. */
function findRecipient(list: ProfileList, recipient: RecipientSpec): MemberRecord | undefined {
  if (present(recipient.recipientId)) return list.find('RIID_', String(recipient.recipientId))[0];
  if (present(recipient.customerId)) return list.find('CUSTOMER_ID_', String(recipient.customerId))[0];
  if (present(recipient.emailAddress)) return list.find('EMAIL_ADDRESS_', String(recipient.emailAddress))[0];
  if (present(recipient.mobileNumber)) return list.find('MOBILE_NUMBER_', String(recipient.mobileNumber))[0];
  if (present(recipient.emailMD5Hash)) return list.find('EMAIL_MD5_HASH_', String(recipient.emailMD5Hash))[0];
  if (present(recipient.emailSHA256Hash))
    return list.find('EMAIL_SHA256_HASH_', String(recipient.emailSHA256Hash))[0];
  return undefined;
}

function optionalData(entry: Record<string, unknown>): Record<string, string> {
  const data: Record<string, string> = {};
  if (Array.isArray(entry.optionalData)) {
    for (const item of entry.optionalData) {
      if (item && typeof item === 'object' && typeof (item as { name?: unknown }).name === 'string') {
        const { name, value } = item as { name: string; value?: unknown };
        data[name] = value === undefined || value === null ? '' : String(value);
      }
    }
  }
  return data;
}

function recipientEntries(req: Request): Array<Record<string, unknown>> {
  const body: unknown = req.body;
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw errors.invalidParameter('Request body is empty');
  const entries = (body as Record<string, unknown>).recipientData;
  if (!Array.isArray(entries) || entries.length === 0)
    throw errors.invalidParameter('recipientData is null OR empty');
  if (entries.length > MAX_RECORDS_PER_REQUEST) throw errors.recipientLimitExceeded(MAX_RECORDS_PER_REQUEST);
  return entries.map((e) => (e && typeof e === 'object' ? (e as Record<string, unknown>) : {}));
}

export function programRoutes(core: ResponsysCore): Router {
  const router = Router();

  router.get(
    `${V13}/events`,
    apiRoute(core, 'token', ({ core }) => ({
      body: [...core.account.events.values()].map((e) => ({
        eventName: e.eventName,
        description: e.description,
        eventType: e.eventType,
      })),
    })),
  );

  router.post(
    `${V13}/events/:eventName`,
    apiRoute(core, 'token', ({ core, req }) => {
      const eventName = String(req.params.eventName);
      const event = core.account.events.get(eventName);
      if (!event) throw errors.eventNotFound(eventName);
      const entries = recipientEntries(req);
      const enteredAt = new Date(core.now()).toISOString();
      // Key order differs between success and failure results, as recorded.
      const failed = (errorMessage: string) => ({ errorMessage, recipientId: -1, success: false });
      const results = entries.map((entry) => {
        const recipient = (entry.recipient ?? {}) as RecipientSpec;
        const listName = recipient.listName;
        const list =
          typeof listName?.objectName === 'string' ? core.account.lists.get(listName.objectName) : undefined;
        if (!list || (core.quirks.eventListFolderMustMatch && listName?.folderName !== list.folderName)) {
          return failed('PROFILE_LIST_NOT_FOUND');
        }
        const member = findRecipient(list, recipient);
        if (!member) return failed('NO_RECIPIENT_FOUND: Recipient Not Found');
        const riid = Number(member.RIID_);
        core.account.programEntries.push({
          eventName,
          programName: event.programName,
          listName: list.name,
          riid,
          customerId: member.CUSTOMER_ID_ ?? null,
          emailAddress: member.EMAIL_ADDRESS_ ?? null,
          optionalData: optionalData(entry),
          enteredAt,
        });
        return { errorMessage: null, success: true, recipientId: riid };
      });
      return { body: results };
    }),
  );

  router.post(
    `${V13}/campaigns/:campaignName/email`,
    apiRoute(core, 'token', ({ core, req }) => {
      const campaignName = String(req.params.campaignName);
      const campaign = core.account.campaigns.get(campaignName);
      if (!campaign) throw errors.campaignNotFound(campaignName);
      const list = core.account.lists.get(campaign.listName)!;
      const body = (req.body ?? {}) as Record<string, unknown>;
      const failed = (errorMessage: string) => ({ success: false, errorMessage, recipientId: -1 });
      const send = (member: MemberRecord, data: Record<string, string>) => {
        if (member.EMAIL_DELIVERABILITY_STATUS_ === 'U' || !member.EMAIL_ADDRESS_) {
          return failed('RECIPIENT_STATUS_UNDELIVERABLE: Recipient deliverability status is undeliverable');
        }
        if (member.EMAIL_PERMISSION_STATUS_ === 'O') {
          return failed('RECIPIENT_STATUS_OPTOUT: Recipient permission status is opt out');
        }
        const riid = Number(member.RIID_);
        core.account.emailTriggers.push({
          campaignName,
          campaignId: campaign.campaignId,
          riid,
          emailAddress: member.EMAIL_ADDRESS_,
          optionalData: data,
          triggeredAt: new Date(core.now()).toISOString(),
        });
        injectEngagement(core, [
          { type: 'sent', listName: list.name, recipient: { riid }, campaign: campaignName },
        ]);
        return { success: true, errorMessage: null, recipientId: riid };
      };

      if (body.mergeTriggerRecordData !== undefined) {
        const data = body.mergeTriggerRecordData as Record<string, unknown>;
        const fieldNames = data?.fieldNames;
        const records = data?.mergeTriggerRecords;
        if (!Array.isArray(fieldNames) || !Array.isArray(records) || records.length === 0) {
          throw errors.invalidParameter('mergeTriggerRecordData needs fieldNames and mergeTriggerRecords');
        }
        if (records.length > MAX_RECORDS_PER_REQUEST)
          throw errors.recipientLimitExceeded(MAX_RECORDS_PER_REQUEST);
        const values = records.map((r) =>
          Array.isArray((r as { fieldValues?: unknown })?.fieldValues)
            ? (r as { fieldValues: unknown[] }).fieldValues
            : [],
        );
        const emailIndex = fieldNames.findIndex(
          (f) => typeof f === 'string' && f.toUpperCase() === 'EMAIL_ADDRESS_',
        );
        // A malformed address fails the whole call, as recorded: 400 "Record 0 = Bad Email Format\r\n".
        const bad = values
          .map((v, i) =>
            emailIndex >= 0 && typeof v[emailIndex] === 'string' && !isEmailAddress(v[emailIndex] as string)
              ? `Record ${i} = Bad Email Format\r\n`
              : '',
          )
          .join('');
        if (bad) throw errors.invalidParameter(bad);
        const merged = mergeProfileMembers(
          list,
          { recordData: { fieldNames, records: values }, mergeRule: body.mergeRule },
          {
            account: core.account,
            now: core.now(),
            sourceIp: req.socket.remoteAddress ?? null,
            quirks: core.quirks,
          },
        );
        return {
          body: merged.rows.map(([riid], i) => {
            if (!riid || !/^\d+$/.test(riid)) return failed(riid ?? 'MERGEFAILED');
            return send(list.members.get(Number(riid))!, optionalData(records[i] as Record<string, unknown>));
          }),
        };
      }

      const entries = recipientEntries(req);
      return {
        body: entries.map((entry) => {
          const recipient = (entry.recipient ?? {}) as RecipientSpec;
          const named = recipient.listName?.objectName;
          if (named !== undefined && named !== list.name) return failed('PROFILE_LIST_NOT_FOUND');
          const member = findRecipient(list, recipient);
          if (!member) return failed('NO_RECIPIENT_FOUND: Recipient Not Found');
          return send(member, optionalData(entry));
        }),
      };
    }),
  );

  return router;
}
