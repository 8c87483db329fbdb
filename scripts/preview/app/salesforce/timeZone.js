/* global location */
/** `@salesforce/i18n/timeZone` in the preview: ?timeZone=, else the browser's zone (the user's Salesforce zone on the platform). */
export default new URLSearchParams(location.search).get('timeZone') ||
  Intl.DateTimeFormat().resolvedOptions().timeZone ||
  'America/Los_Angeles';
