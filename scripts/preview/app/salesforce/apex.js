/** Replaces `@salesforce/apex` in the preview: refreshApex goes back to the fixture-backed server. */
import { refreshProvisionedValue } from './getEngagement.js';

export function refreshApex(value) {
  return refreshProvisionedValue(value);
}

export function getSObjectValue(record, field) {
  const name = typeof field === 'string' ? field : field.fieldApiName;
  return record ? record[name] : undefined;
}
