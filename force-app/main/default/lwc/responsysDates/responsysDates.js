/**
 * Dates and times the way a rep reads them, in the rep's own locale and Salesforce time zone (not
 * the browser's): "3 hours ago" with the exact time on hand, and day headings such as "Today".
 */
import LOCALE from '@salesforce/i18n/locale';
import TIME_ZONE from '@salesforce/i18n/timeZone';

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const formatters = new Map();

function formatter(kind, options) {
  let cached = formatters.get(kind);
  if (!cached) {
    cached = new Intl.DateTimeFormat(LOCALE, { timeZone: TIME_ZONE, ...options });
    formatters.set(kind, cached);
  }
  return cached;
}

const relativeFormatters = new Map();

// "yesterday" and "now" read better than "1 day ago" and "0 seconds ago"; "last week" after
// "Last synced" does not, so the other units stay numeric ("1 week ago").
function relative(value, unit) {
  const numeric = unit === 'day' || unit === 'second' ? 'auto' : 'always';
  let cached = relativeFormatters.get(numeric);
  if (!cached) {
    cached = new Intl.RelativeTimeFormat(LOCALE, { numeric });
    relativeFormatters.set(numeric, cached);
  }
  return cached.format(value, unit);
}

/**
 * @param {string|number|Date|null|undefined} value an ISO datetime as Apex serializes it
 * @returns {Date|undefined} the instant, or undefined when missing or unparseable
 */
export function toDate(value) {
  if (value === null || value === undefined || value === '') {
    return undefined;
  }
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * "just now", "5 minutes ago", "yesterday", "3 weeks ago"...
 * @param {Date} date the instant
 * @param {number} [now] the current time in epoch milliseconds
 */
export function formatRelative(date, now = Date.now()) {
  const elapsed = now - date.getTime();
  const ahead = elapsed < 0;
  const distance = Math.abs(elapsed);
  // Clocks drift a little between servers: a minute "in the future" is "just now".
  if (distance < MINUTE) {
    return relative(0, 'second');
  }
  const sign = ahead ? 1 : -1;
  if (distance < HOUR) {
    return relative(sign * Math.floor(distance / MINUTE), 'minute');
  }
  if (distance < DAY) {
    return relative(sign * Math.floor(distance / HOUR), 'hour');
  }
  const days = calendarDaysBetween(date, new Date(now));
  if (Math.abs(days) < 7) {
    return relative(-days, 'day');
  }
  if (Math.abs(days) < 30) {
    return relative(sign * Math.floor(Math.abs(days) / 7), 'week');
  }
  if (Math.abs(days) < 365) {
    return relative(sign * Math.floor(Math.abs(days) / 30), 'month');
  }
  return relative(sign * Math.floor(Math.abs(days) / 365), 'year');
}

/** "Mar 3, 2025, 2:14 PM PST": the exact instant, with the zone so nobody has to guess. */
export function formatExact(date) {
  return formatter('exact', {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(date);
}

/**
 * "Mar 3, 2:14 PM", or "Mar 3, 2024, 2:14 PM" for another year: short enough for a summary tile.
 * @param {Date} date the instant
 * @param {number} [now] the current time in epoch milliseconds
 */
export function formatDateTime(date, now = Date.now()) {
  const sameYear = dayKey(date).slice(0, 4) === dayKey(new Date(now)).slice(0, 4);
  const options = { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' };
  return sameYear
    ? formatter('dateTimeThisYear', options).format(date)
    : formatter('dateTimeOtherYear', { year: 'numeric', ...options }).format(date);
}

/** "Mar 3, 2025" */
export function formatDate(date) {
  return formatter('date', { year: 'numeric', month: 'short', day: 'numeric' }).format(date);
}

/** "2:14 PM" */
export function formatTimeOfDay(date) {
  return formatter('time', { hour: 'numeric', minute: '2-digit' }).format(date);
}

/**
 * The calendar day of an instant in the rep's time zone, as YYYY-MM-DD (sortable, stable key).
 * @param {Date} date the instant
 */
export function dayKey(date) {
  const parts = formatter('dayKey', { year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(
    date,
  );
  const part = (type) => parts.find((entry) => entry.type === type).value;
  return `${part('year')}-${part('month')}-${part('day')}`;
}

function dayNumber(key) {
  const [year, month, day] = key.split('-').map(Number);
  return Date.UTC(year, month - 1, day) / DAY;
}

function calendarDaysBetween(earlier, later) {
  return dayNumber(dayKey(later)) - dayNumber(dayKey(earlier));
}

/**
 * The heading of a day on the timeline: "Today", "Yesterday", "Monday, March 3" or, for another
 * year, "Monday, March 3, 2024".
 * @param {Date} date any instant of that day
 * @param {number} [now] the current time in epoch milliseconds
 */
export function formatDayHeading(date, now = Date.now()) {
  const today = new Date(now);
  const days = calendarDaysBetween(date, today);
  if (days === 0 || days === 1) {
    const words = relative(-days, 'day');
    return words.charAt(0).toLocaleUpperCase(LOCALE) + words.slice(1);
  }
  const sameYear = dayKey(date).slice(0, 4) === dayKey(today).slice(0, 4);
  return sameYear
    ? formatter('dayThisYear', { weekday: 'long', month: 'long', day: 'numeric' }).format(date)
    : formatter('dayOtherYear', { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' }).format(
        date,
      );
}
