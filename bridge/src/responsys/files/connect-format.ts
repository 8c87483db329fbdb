// What Responsys Connect puts in file names and timestamp columns.
//
// File names: `<accountID>_<FEED>_<YYYYMMDD>_<HH24MISS>.txt` for Contact Event Data feeds
// (`1234_CLICK_20190103_130532.txt`), `<accountID>_PROFILE_LIST_<LIST>_<YYYYMMDD>_<HH24MISS>.txt` for
// profile-list exports; a `.ready` marker may follow each file. Timestamps inside the files are UTC
// `DD-MON-YYYY HH24:MI:SS` (`03-JAN-2019 13:05:32`).

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** Email Contact Event Data feeds (plus LAUNCH_STATE, which maps launches to campaign names). */
export const contactEventFeeds = [
  'SENT',
  'OPEN',
  'CLICK',
  'CONVERT',
  'BOUNCE',
  'SKIPPED',
  'FAIL',
  'COMPLAINT',
  'OPT_OUT',
  'OPT_IN',
  'LAUNCH_STATE',
] as const;
export type ContactEventFeed = (typeof contactEventFeeds)[number];

export interface ConnectFileName {
  name: string;
  accountId: string;
  /** a Contact Event Data feed, `PROFILE_LIST`, or another token Connect used */
  feed: string;
  /** the profile list of a `PROFILE_LIST` export */
  listName?: string;
  /** the export time in the name (UTC) */
  exportedAt: Date;
  /** `txt`, `zip`, `gpg`, `ready`, ... (lower case) */
  extension: string;
}

const FILE_NAME = /^(\d+)_([A-Z0-9_]+?)_(\d{8})_(\d{6})\.([A-Za-z0-9.]+)$/;

/** Parses a Connect export file name; undefined when the name does not follow the pattern. */
export function parseConnectFileName(name: string): ConnectFileName | undefined {
  const match = FILE_NAME.exec(name);
  if (!match) return undefined;
  const [, accountId, token, day, time, extension] = match;
  const exportedAt = new Date(
    Date.UTC(
      Number(day!.slice(0, 4)),
      Number(day!.slice(4, 6)) - 1,
      Number(day!.slice(6, 8)),
      Number(time!.slice(0, 2)),
      Number(time!.slice(2, 4)),
      Number(time!.slice(4, 6)),
    ),
  );
  if (Number.isNaN(exportedAt.getTime())) return undefined;
  const parsed: ConnectFileName = {
    name,
    accountId: accountId!,
    feed: token!,
    exportedAt,
    extension: extension!.toLowerCase(),
  };
  if (token!.startsWith('PROFILE_LIST_')) {
    parsed.feed = 'PROFILE_LIST';
    parsed.listName = token!.slice('PROFILE_LIST_'.length);
  }
  return parsed;
}

const TIMESTAMP = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})$/;

/**
 * Parses a Connect timestamp (`03-JAN-2019 13:05:32`, UTC; any month case) into a Date. Also accepts
 * ISO 8601 and `YYYY-MM-DD HH:MM:SS[.f]` (UTC), which some export jobs are set up to write.
 * Returns undefined for an empty value; throws with the value for anything else it cannot read.
 */
export function parseConnectTimestamp(value: string): Date | undefined {
  const text = value.trim();
  if (text === '') return undefined;
  const match = TIMESTAMP.exec(text);
  if (match) {
    const [, day, month, year, hour, minute, second] = match;
    const monthIndex = MONTHS.indexOf(month!.toUpperCase());
    const date = new Date(
      Date.UTC(Number(year), monthIndex, Number(day), Number(hour), Number(minute), Number(second)),
    );
    if (
      monthIndex >= 0 &&
      date.getUTCDate() === Number(day) &&
      Number(hour) < 24 &&
      Number(minute) < 60 &&
      Number(second) < 60
    ) {
      return date;
    }
    throw new Error(`"${value}" is not a valid date`);
  }
  const iso = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (iso) {
    const date = new Date(iso[2] ? text.replace(' ', 'T') : `${text.replace(' ', 'T')}Z`);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new Error(`"${value}" is not a timestamp in the DD-MON-YYYY HH24:MI:SS format`);
}
