/* global location */
/** `@salesforce/i18n/locale` in the preview: ?locale=, else the browser's language. */
export default new URLSearchParams(location.search).get('locale') || navigator.language || 'en-US';
