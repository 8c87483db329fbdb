// The rule for opt-outs and opt-ins coming from Responsys (F7 inbound):
//
// - An opt-out always applies, at once, to every Lead and Contact of the person that is not opted out
//   yet (Email Opt Out ticked, opt-out source Responsys, opt-out time = when the person opted out). A
//   record already opted out keeps its source and time: the first opt-out stands.
// - An opt-in clears an opt-out only when it came from the person and is newer than the last opt-out
//   the bridge knows of, on either side. "From the person" means a Contact Event Data OPT_IN row whose
//   SOURCE is one of RESPONSYS_OPT_IN_SOURCES (default FORM, LINK: the person used a form or a link).
//   An opt-in made any other way (an import, an API call, a marketer) is recorded on the timeline but
//   never clears an opt-out. A callback opt-in carries no SOURCE: it waits for its file row.
// - A record opted out later than the opt-in, or at an unknown time, stays opted out.
// - An opt-out known only from its callback dates from when the callback was received, which is later
//   than the person opted out. An opt-in that such a time alone makes look older waits for that
//   opt-out's file row, which brings the exact time.

export type OptType = 'Opted_Out' | 'Opted_In';

export interface OptEvent {
  eventKey: string;
  type: OptType;
  occurredAt: Date;
  /** false while a callback's receipt time stands in for the time of the event */
  occurredAtExact: boolean;
  origin: 'file' | 'callback';
  /** the CED SOURCE column (upper case) */
  source: string | null;
  /** still to be decided (the others are history: earlier opt-outs count as the last opt-out) */
  pending: boolean;
}

export interface PersonRecord {
  id: string;
  objectType: 'Lead' | 'Contact';
  optedOut: boolean;
  optOutAt: Date | null;
  optOutSource: string | null;
}

export type OptEventStatus = 'applied' | 'held' | 'ignored';

export interface RecordWrite {
  id: string;
  objectType: 'Lead' | 'Contact';
  optedOut: boolean;
  fields: Record<string, unknown>;
}

export interface OptDecision {
  /** the event that decides the person's state, if any */
  decisive: OptEvent | null;
  statuses: Map<string, { status: OptEventStatus; reason: string }>;
  writes: RecordWrite[];
  /** records left as they are, and why */
  kept: Array<{ id: string; reason: string }>;
}

const iso = (date: Date) => date.toISOString();

/**
 * When a record was opted out. An opt-out the bridge wrote from Responsys (source Responsys) dates from
 * the person's opt-out event: the record may hold a callback's receipt time, a few seconds late, that
 * the event's file row corrected since.
 */
export function effectiveOptOutTimes(events: readonly OptEvent[]): (record: PersonRecord) => Date | null {
  const timeOf = optOutTimes(events);
  return (record) => timeOf(record)?.at ?? null;
}

interface OptOutTime {
  at: Date;
  exact: boolean;
}

function optOutTimes(events: readonly OptEvent[]): (record: PersonRecord) => OptOutTime | null {
  const fromResponsys = events.filter((event) => event.type === 'Opted_Out').pop();
  return (record) => {
    if (record.optOutSource === 'Responsys' && fromResponsys) {
      return { at: fromResponsys.occurredAt, exact: fromResponsys.occurredAtExact };
    }
    return record.optOutAt && { at: record.optOutAt, exact: true };
  };
}

/** A callback carries no SOURCE; once its file row completed it, the row's SOURCE counts. */
export function isFromThePerson(event: OptEvent, optInSources: readonly string[]): boolean {
  return !!event.source && optInSources.includes(event.source.toUpperCase());
}

export function decideOpt(
  events: readonly OptEvent[],
  records: readonly PersonRecord[],
  optInSources: readonly string[],
): OptDecision {
  const statuses = new Map<string, { status: OptEventStatus; reason: string }>();
  const ordered = [...events].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
  const optOutTimeOf = optOutTimes(ordered);
  const optOutAt = (record: PersonRecord) => optOutTimeOf(record)?.at ?? null;
  /** the latest opt-out on either side; `exactOnly` leaves out callbacks' receipt times */
  const lastOptOut = (exactOnly: boolean): Date | null => {
    let latest: Date | null = null;
    const consider = (time: OptOutTime | null) => {
      if (time && (time.exact || !exactOnly) && (!latest || time.at > latest)) latest = time.at;
    };
    for (const event of ordered) {
      if (event.type === 'Opted_Out') consider({ at: event.occurredAt, exact: event.occurredAtExact });
    }
    for (const record of records) if (record.optedOut) consider(optOutTimeOf(record));
    return latest;
  };

  const candidates: OptEvent[] = [];
  for (const event of ordered.filter((candidate) => candidate.pending)) {
    if (event.type === 'Opted_Out') {
      candidates.push(event);
      continue;
    }
    if (!isFromThePerson(event, optInSources)) {
      statuses.set(event.eventKey, {
        status: 'held',
        reason:
          event.origin === 'callback' && !event.source
            ? 'an opt-in callback does not say who opted in; its Contact Event Data row decides'
            : `opt-in source ${event.source ?? '(none)'} is not the person (RESPONSYS_OPT_IN_SOURCES: ${optInSources.join(', ')}); an opt-out stays`,
      });
      continue;
    }
    const before = lastOptOut(true);
    if (before && before.getTime() >= event.occurredAt.getTime()) {
      statuses.set(event.eventKey, {
        status: 'ignored',
        reason: `the opt-in (${iso(event.occurredAt)}) is not newer than the last opt-out (${iso(before)})`,
      });
      continue;
    }
    const received = lastOptOut(false);
    if (received && received.getTime() >= event.occurredAt.getTime()) {
      statuses.set(event.eventKey, {
        status: 'held',
        reason: `the opt-out after it is known from a callback received at ${iso(received)}; its Contact Event Data row gives the time the person opted out`,
      });
      continue;
    }
    candidates.push(event);
  }

  const decisive = candidates[candidates.length - 1] ?? null;
  for (const event of candidates) {
    if (event === decisive || event.type === decisive?.type) {
      statuses.set(event.eventKey, {
        status: 'applied',
        reason: `${event.type === 'Opted_Out' ? 'opt-out' : 'opt-in'} applied`,
      });
    } else {
      statuses.set(event.eventKey, {
        status: 'ignored',
        reason: `a later ${decisive!.type === 'Opted_Out' ? 'opt-out' : 'opt-in'} (${iso(decisive!.occurredAt)}) decides`,
      });
    }
  }

  const writes: RecordWrite[] = [];
  const kept: Array<{ id: string; reason: string }> = [];
  if (decisive?.type === 'Opted_Out') {
    for (const record of records) {
      if (record.optedOut) {
        kept.push({
          id: record.id,
          reason: `already opted out (${record.optOutSource ?? 'source unknown'})`,
        });
        continue;
      }
      writes.push({
        id: record.id,
        objectType: record.objectType,
        optedOut: true,
        fields: {
          HasOptedOutOfEmail: true,
          Responsys_Opt_Out_Source__c: 'Responsys',
          Responsys_Opt_Out_At__c: iso(optedOutSince(ordered, decisive, optInSources)),
        },
      });
    }
  } else if (decisive?.type === 'Opted_In') {
    for (const record of records) {
      if (!record.optedOut) continue;
      const at = optOutAt(record);
      if (!at || at.getTime() >= decisive.occurredAt.getTime()) {
        kept.push({
          id: record.id,
          reason: at
            ? `opted out in ${record.optOutSource ?? 'Salesforce'} at ${iso(at)}, after the opt-in`
            : 'opted out at an unknown time',
        });
        continue;
      }
      writes.push({
        id: record.id,
        objectType: record.objectType,
        optedOut: false,
        fields: {
          HasOptedOutOfEmail: false,
          Responsys_Opt_Out_Source__c: null,
          Responsys_Opt_Out_At__c: null,
        },
      });
    }
  }
  return { decisive, statuses, writes, kept };
}

/**
 * When the person opted out: the first opt-out after their last own opt-in (an opt-in followed by an
 * opt-out is over, but it ended the opt-out before it).
 */
function optedOutSince(
  events: readonly OptEvent[],
  decisive: OptEvent,
  optInSources: readonly string[],
): Date {
  const before = (event: OptEvent) => event.occurredAt.getTime() <= decisive.occurredAt.getTime();
  const lastOptIn = events
    .filter((event) => event.type === 'Opted_In' && before(event) && isFromThePerson(event, optInSources))
    .pop();
  const since = events.find(
    (event) =>
      event.type === 'Opted_Out' &&
      before(event) &&
      (!lastOptIn || event.occurredAt.getTime() > lastOptIn.occurredAt.getTime()),
  );
  return since?.occurredAt ?? decisive.occurredAt;
}
