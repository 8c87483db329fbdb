// The two timestamp renderings the emulator writes. The account time zone is UTC.

const months = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * How the REST API renders server-maintained timestamps (CREATED_DATE_, MODIFIED_DATE_): the Java
 * `Timestamp` text seen in Responsys' async API (`2018-03-18 13:28:45.0`). UNCONFIRMED for profile
 * columns; documented in docs/emulators-responsys.md.
 */
export function restTimestamp(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.0`
  );
}

export function parseRestTimestamp(text: string): number {
  return Date.parse(`${text.replace(' ', 'T').replace(/\.0$/, '')}Z`);
}

/** Contact Event Data timestamps: `DD-MON-YYYY HH24:MI:SS` in UTC, e.g. `03-JAN-2019 13:05:32`. */
export function cedTimestamp(ms: number): string {
  const d = new Date(ms);
  return (
    `${pad(d.getUTCDate())}-${months[d.getUTCMonth()]}-${d.getUTCFullYear()} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

/** The `YYYYMMDD_HH24MISS` part of a Connect file name. */
export function fileTimestamp(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}_` +
    `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`
  );
}
