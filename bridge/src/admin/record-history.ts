import type { DeadLetter } from '../store/dead-letters.js';
import type { IdentityLink } from '../store/identity-links.js';
import type { ProgramEnrollment } from '../store/program-enrollments.js';
import type { Store } from '../store/store.js';
import type { LedgerEntry } from '../store/sync-ledger.js';
import type { SyncLogEntry } from '../store/sync-log.js';

// "Why didn't this sync?": everything the bridge knows about one record (by Salesforce id, RIID,
// email or correlation id), gathered across identity links, the sync log, dead letters, the echo
// ledger and program entries, with a summary in plain words.

export interface LastError {
  at: Date;
  flow: string;
  message: string;
  code: string | null;
  attempt: number | null;
  willRetry: boolean;
  nextAttemptAt: string | null;
  deadLetterId: number | null;
}

export interface RecordHistory {
  query: string;
  salesforceIds: string[];
  riids: string[];
  links: IdentityLink[];
  entries: SyncLogEntry[];
  deadLetters: DeadLetter[];
  ledger: LedgerEntry[];
  enrollments: ProgramEnrollment[];
  echoesSuppressed: number;
  lastError: LastError | null;
  summary: string[];
}

const isEmail = (value: string) => value.includes('@');
const time = (value: Date | string) => (value instanceof Date ? value : new Date(value)).toISOString();

export async function explainRecord(
  store: Store,
  idOrEmail: string,
  options: { retentionDays: number; limit?: number },
): Promise<RecordHistory> {
  const query = idOrEmail.trim();
  const links: IdentityLink[] = [];
  if (isEmail(query)) {
    links.push(...(await store.identityLinks.forEmail(query)));
  } else {
    links.push(...(await store.identityLinks.forSalesforceIds([query])).values());
    for (const linked of (await store.identityLinks.forRiids([query])).values()) links.push(...linked);
  }
  // Follow the RIIDs to every record linked to the same recipient (a Lead and the Contact it became).
  const linkedRiids = [...new Set(links.map((link) => link.riid))];
  for (const linked of (await store.identityLinks.forRiids(linkedRiids)).values()) links.push(...linked);
  const uniqueLinks = [...new Map(links.map((link) => [link.salesforceId, link])).values()];

  const salesforceIds = [
    ...new Set([...uniqueLinks.map((link) => link.salesforceId), ...(isEmail(query) ? [] : [query])]),
  ];
  const riids = [...new Set([...uniqueLinks.map((link) => link.riid), ...(isEmail(query) ? [] : [query])])];
  const entries = await store.syncLog.forIdentifiers(
    {
      salesforceIds,
      riids,
      emails: isEmail(query) ? [query] : [],
      correlationIds: isEmail(query) ? [] : [query],
    },
    options.limit ?? 100,
  );
  const knownSalesforceIds = [
    ...new Set([
      ...salesforceIds,
      ...entries.map((entry) => entry.salesforceId).filter((id): id is string => !!id),
    ]),
  ];
  const knownRiids = [
    ...new Set([...riids, ...entries.map((entry) => entry.riid).filter((id): id is string => !!id)]),
  ];
  const recordKeys = [...knownSalesforceIds, ...knownRiids];
  const [deadLetters, ledger, enrollments] = await Promise.all([
    store.deadLetters.forRecords([...recordKeys, ...(isEmail(query) ? [] : [query])]),
    store.syncLedger.forRecords(recordKeys),
    store.enrollments.forRecipients(recordKeys),
  ]);
  const echoesSuppressed = ledger.reduce((sum, entry) => sum + entry.suppressedCount, 0);
  const lastError = findLastError(entries, deadLetters);
  const found = {
    query,
    salesforceIds: knownSalesforceIds.filter(
      (id) => uniqueLinks.some((l) => l.salesforceId === id) || entries.some((e) => e.salesforceId === id),
    ),
    riids: knownRiids.filter(
      (id) => uniqueLinks.some((l) => l.riid === id) || entries.some((e) => e.riid === id),
    ),
    links: uniqueLinks,
    entries,
    deadLetters,
    ledger,
    enrollments,
    echoesSuppressed,
    lastError,
  };
  return { ...found, summary: summarise(found, options.retentionDays) };
}

function findLastError(entries: SyncLogEntry[], deadLetters: DeadLetter[]): LastError | null {
  const failure = entries.find((entry) => entry.outcome === 'retrying' || entry.outcome === 'dead_lettered');
  if (!failure) return null;
  const openDeadLetter =
    failure.outcome === 'dead_lettered'
      ? deadLetters.find(
          (letter) => letter.correlationId === failure.correlationId && letter.flow === failure.flow,
        )
      : undefined;
  return {
    at: failure.finishedAt,
    flow: failure.flow,
    message: failure.reason ?? 'no reason recorded',
    code: failure.errorCode,
    attempt: failure.attempt,
    willRetry: failure.outcome === 'retrying',
    nextAttemptAt: (failure.details?.nextAttemptAt as string | undefined) ?? null,
    deadLetterId: openDeadLetter?.id ?? null,
  };
}

function describeEntry(entry: SyncLogEntry): string {
  const at = time(entry.finishedAt);
  const what = `${entry.flow}${entry.changeType ? ` (${entry.changeType})` : ''}`;
  switch (entry.outcome) {
    case 'succeeded':
      return `${what}: synced at ${at}${entry.attempt && entry.attempt > 1 ? ` on attempt ${entry.attempt}` : ''}${
        entry.reason ? ` (${entry.reason})` : ''
      }.`;
    case 'skipped':
      return `${what}: skipped at ${at} because ${entry.reason ?? 'no reason was recorded'}${
        entry.errorCode ? ` [${entry.errorCode}]` : ''
      }.`;
    case 'retrying': {
      const next = entry.details?.nextAttemptAt as string | undefined;
      return `${what}: attempt ${entry.attempt ?? '?'} failed at ${at}: ${entry.reason ?? 'no reason recorded'}${
        next ? `; the next attempt is due at ${next}` : ''
      }.`;
    }
    case 'dead_lettered':
      return `${what}: gave up at ${at} after ${entry.attempt ?? '?'} attempt(s): ${entry.reason ?? 'no reason recorded'}.`;
  }
}

function summarise(history: Omit<RecordHistory, 'summary'>, retentionDays: number): string[] {
  const lines: string[] = [];
  const { links, entries, deadLetters, enrollments } = history;
  if (links.length === 0 && entries.length === 0 && deadLetters.length === 0) {
    return [
      `Nothing is recorded for "${history.query}": no sync in the last ${retentionDays} days (the sync-log retention), ` +
        'no link to a Responsys recipient and no dead letter.',
      'If the record changed recently, check that the change reached the bridge: the package trigger publishes ' +
        'Responsys_Sync__e for Leads and Contacts, but not for changes made by the integration user. ' +
        'GET /api/v1/status shows whether work is waiting in the queues.',
    ];
  }
  if (links.length > 0) {
    for (const link of links) {
      lines.push(
        `${link.objectType} ${link.salesforceId} is linked to Responsys recipient ${link.riid} (since ${time(link.linkedAt)}).`,
      );
    }
  } else {
    lines.push('Not linked to a Responsys recipient yet: a link is stored after the first successful sync.');
  }
  const latestPerFlow = new Map<string, SyncLogEntry>();
  for (const entry of entries) if (!latestPerFlow.has(entry.flow)) latestPerFlow.set(entry.flow, entry);
  for (const entry of latestPerFlow.values()) lines.push(`Latest in ${describeEntry(entry)}`);
  for (const letter of deadLetters.filter((item) => item.status === 'open')) {
    lines.push(
      `Dead letter #${letter.id} (${letter.flow}) is waiting for an operator: ${letter.reason}. Once the cause is fixed, ` +
        `retry it with "responsys-bridge dead-letters retry ${letter.id}" or POST /api/v1/dead-letters/${letter.id}/retry.`,
    );
  }
  if (history.echoesSuppressed > 0) {
    lines.push(
      `The bridge recognised ${history.echoesSuppressed} of its own writes coming back (echoes) and did not sync them again.`,
    );
  }
  for (const enrollment of enrollments.slice(0, 5)) {
    lines.push(
      enrollment.status === 'entered'
        ? `Entered program ${enrollment.program} at ${time(enrollment.enteredAt)}.`
        : `Entry into program ${enrollment.program} is in progress (reserved at ${time(enrollment.enteredAt)}).`,
    );
  }
  return lines;
}
