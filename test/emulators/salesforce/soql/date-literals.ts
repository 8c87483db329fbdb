// SOQL date literals (TODAY, LAST_N_DAYS:n, THIS_QUARTER, ...) as half-open UTC ranges [start, end).
// The org's time zone is GMT and its fiscal year starts in January, so fiscal literals equal the
// calendar ones. Weeks start on Sunday (en_US locale).

export interface DateRange {
  start: number;
  end: number;
}

const DAY = 86_400_000;

function startOfDay(ms: number): number {
  return Math.floor(ms / DAY) * DAY;
}

function monthStart(year: number, month: number): number {
  return Date.UTC(year, month, 1);
}

function weekStart(ms: number): number {
  const day = startOfDay(ms);
  return day - new Date(day).getUTCDay() * DAY;
}

function monthRange(now: number, fromOffset: number, toOffset: number): DateRange {
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  return { start: monthStart(y, m + fromOffset), end: monthStart(y, m + toOffset) };
}

function quarterRange(now: number, fromOffset: number, toOffset: number): DateRange {
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const q = Math.floor(d.getUTCMonth() / 3);
  return { start: monthStart(y, (q + fromOffset) * 3), end: monthStart(y, (q + toOffset) * 3) };
}

function yearRange(now: number, fromOffset: number, toOffset: number): DateRange {
  const y = new Date(now).getUTCFullYear();
  return { start: Date.UTC(y + fromOffset, 0, 1), end: Date.UTC(y + toOffset, 0, 1) };
}

/** The range a literal covers at `now`, or undefined for an unknown literal. */
export function dateLiteralRange(literal: string, now: number, n = 0): DateRange | undefined {
  const today = startOfDay(now);
  const week = weekStart(now);
  switch (literal.toUpperCase()) {
    case 'YESTERDAY':
      return { start: today - DAY, end: today };
    case 'TODAY':
      return { start: today, end: today + DAY };
    case 'TOMORROW':
      return { start: today + DAY, end: today + 2 * DAY };
    case 'LAST_WEEK':
      return { start: week - 7 * DAY, end: week };
    case 'THIS_WEEK':
      return { start: week, end: week + 7 * DAY };
    case 'NEXT_WEEK':
      return { start: week + 7 * DAY, end: week + 14 * DAY };
    case 'LAST_MONTH':
      return monthRange(now, -1, 0);
    case 'THIS_MONTH':
      return monthRange(now, 0, 1);
    case 'NEXT_MONTH':
      return monthRange(now, 1, 2);
    case 'LAST_90_DAYS':
      return { start: today - 90 * DAY, end: today + DAY };
    case 'NEXT_90_DAYS':
      return { start: today + DAY, end: today + 91 * DAY };
    case 'LAST_QUARTER':
    case 'LAST_FISCAL_QUARTER':
      return quarterRange(now, -1, 0);
    case 'THIS_QUARTER':
    case 'THIS_FISCAL_QUARTER':
      return quarterRange(now, 0, 1);
    case 'NEXT_QUARTER':
    case 'NEXT_FISCAL_QUARTER':
      return quarterRange(now, 1, 2);
    case 'LAST_YEAR':
    case 'LAST_FISCAL_YEAR':
      return yearRange(now, -1, 0);
    case 'THIS_YEAR':
    case 'THIS_FISCAL_YEAR':
      return yearRange(now, 0, 1);
    case 'NEXT_YEAR':
    case 'NEXT_FISCAL_YEAR':
      return yearRange(now, 1, 2);
    // Starts with the current day and covers the n days before it.
    case 'LAST_N_DAYS':
      return { start: today - n * DAY, end: today + DAY };
    case 'NEXT_N_DAYS':
      return { start: today + DAY, end: today + (n + 1) * DAY };
    case 'N_DAYS_AGO':
      return { start: today - n * DAY, end: today - (n - 1) * DAY };
    case 'LAST_N_WEEKS':
      return { start: week - 7 * n * DAY, end: week };
    case 'NEXT_N_WEEKS':
      return { start: week + 7 * DAY, end: week + 7 * (n + 1) * DAY };
    case 'N_WEEKS_AGO':
      return { start: week - 7 * n * DAY, end: week - 7 * (n - 1) * DAY };
    case 'LAST_N_MONTHS':
      return monthRange(now, -n, 0);
    case 'NEXT_N_MONTHS':
      return monthRange(now, 1, n + 1);
    case 'N_MONTHS_AGO':
      return monthRange(now, -n, -n + 1);
    case 'LAST_N_QUARTERS':
    case 'LAST_N_FISCAL_QUARTERS':
      return quarterRange(now, -n, 0);
    case 'NEXT_N_QUARTERS':
    case 'NEXT_N_FISCAL_QUARTERS':
      return quarterRange(now, 1, n + 1);
    case 'N_QUARTERS_AGO':
    case 'N_FISCAL_QUARTERS_AGO':
      return quarterRange(now, -n, -n + 1);
    case 'LAST_N_YEARS':
    case 'LAST_N_FISCAL_YEARS':
      return yearRange(now, -n, 0);
    case 'NEXT_N_YEARS':
    case 'NEXT_N_FISCAL_YEARS':
      return yearRange(now, 1, n + 1);
    case 'N_YEARS_AGO':
    case 'N_FISCAL_YEARS_AGO':
      return yearRange(now, -n, -n + 1);
    default:
      return undefined;
  }
}
