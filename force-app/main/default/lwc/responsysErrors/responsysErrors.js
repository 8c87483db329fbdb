/**
 * The one place where errors become words a rep understands. Everything the engagement components
 * show about a failure goes through here: Apex and UI API errors, network failures, JavaScript
 * errors, and the raw sync error the bridge writes on the Lead or Contact. Each description is a
 * plain sentence plus the technical details, which the error panel shows only on demand.
 */

const ADMIN_PERMISSION_SET = 'Responsys Engagement Viewer';

/**
 * Reduces one or more errors to their raw messages (the lwc-recipes `reduceErrors` contract).
 * @param {*} errors an error, a server response error, a string, or an array of those
 * @returns {string[]} non-empty messages, in order
 */
export function reduceErrors(errors) {
  const list = Array.isArray(errors) ? errors : [errors];
  return list
    .filter((error) => error !== null && error !== undefined)
    .flatMap(messagesOf)
    .filter((message) => typeof message === 'string' && message.trim() !== '');
}

function messagesOf(error) {
  if (typeof error === 'string') {
    return [error];
  }
  const body = error.body;
  // UI API read errors
  if (Array.isArray(body)) {
    return body.map((entry) => entry && entry.message);
  }
  if (body && typeof body === 'object') {
    const messages = [];
    // UI API DML errors carry page and field errors, sometimes under `output`
    for (const source of [body, body.output]) {
      if (!source) {
        continue;
      }
      if (Array.isArray(source.pageErrors)) {
        messages.push(...source.pageErrors.map((entry) => entry && entry.message));
      }
      if (source.fieldErrors && typeof source.fieldErrors === 'object') {
        for (const fieldErrors of Object.values(source.fieldErrors)) {
          if (Array.isArray(fieldErrors)) {
            messages.push(...fieldErrors.map((entry) => entry && entry.message));
          }
        }
      }
    }
    // Apex errors (AuraHandledException and unhandled exceptions) and network errors
    if (typeof body.message === 'string') {
      messages.push(body.message);
    }
    if (messages.length > 0) {
      return messages;
    }
  }
  if (typeof error.message === 'string') {
    return [error.message];
  }
  if (typeof error.statusText === 'string') {
    return [error.statusText];
  }
  return [];
}

const NETWORK_PATTERN = /failed to fetch|network ?error|networkerror|disconnected|offline|load failed/i;
const ACCESS_PATTERN =
  /insufficient[_ ](access|privileges)|do(?:es)? not have access|no access|not authorized|NoAccessException|SecurityException/i;
const MISSING_RECORD_PATTERN =
  /ENTITY_IS_DELETED|INVALID_CROSS_REFERENCE_KEY|invalid id|does not exist|not found/i;
const BUSY_PATTERN =
  /CPU time|too many (SOQL|queries|DML)|timed? ?out|timeout|LimitException|REQUEST_LIMIT_EXCEEDED|UNABLE_TO_LOCK_ROW|service unavailable/i;

/**
 * Describes a failed action for a rep: a plain sentence saying what failed and what to do, and the
 * technical details for an admin.
 * @param {*} errors whatever the failed call rejected with (one or many)
 * @param {{ action?: string }} [options] what the rep was doing, e.g. "load email engagement"
 * @returns {{ title: string, message: string, details: string[], retryable: boolean }}
 */
export function describeError(errors, { action = 'finish that' } = {}) {
  const list = (Array.isArray(errors) ? errors : [errors]).filter(
    (error) => error !== null && error !== undefined,
  );
  const messages = reduceErrors(list);
  const statuses = list.map((error) => (typeof error === 'object' ? error.status : undefined));
  const exceptionTypes = list
    .map((error) => error && error.body && error.body.exceptionType)
    .filter((type) => typeof type === 'string' && type !== '');
  const haystack = [...messages, ...exceptionTypes].join('\n');
  const title = `We couldn't ${action}.`;
  const details = technicalDetails(list, messages, exceptionTypes);

  if (statuses.includes(0) || NETWORK_PATTERN.test(haystack)) {
    return {
      title,
      message: 'Salesforce could not be reached. Check your internet connection, then try again.',
      details,
      retryable: true,
    };
  }
  if (statuses.includes(401) || statuses.includes(403) || ACCESS_PATTERN.test(haystack)) {
    return {
      title,
      message: `You don't have access to Responsys engagement. Ask your Salesforce admin for the ${ADMIN_PERMISSION_SET} permission set.`,
      details,
      retryable: false,
    };
  }
  if (statuses.includes(404) || MISSING_RECORD_PATTERN.test(haystack)) {
    return {
      title,
      message: 'This record no longer exists, or it is no longer shared with you.',
      details,
      retryable: false,
    };
  }
  if (
    statuses.some((status) => status === 429 || status === 503 || status === 504) ||
    BUSY_PATTERN.test(haystack)
  ) {
    return {
      title,
      message: 'Salesforce is busy right now. Wait a minute, then try again.',
      details,
      retryable: true,
    };
  }
  const readable = messages.find(isReadableSentence);
  if (readable) {
    return { title, message: readable, details, retryable: true };
  }
  return {
    title,
    message:
      'Something went wrong on our side. Try again; if it keeps happening, send the details to your Salesforce admin.',
    details,
    retryable: true,
  };
}

// A message the controller wrote for people (AuraHandledException) rather than a system dump.
function isReadableSentence(message) {
  return (
    message.length <= 200 &&
    /[.!?]$/.test(message.trim()) &&
    !/^[A-Z_]{4,}[:\s]/.test(message) &&
    !/(Exception|\bat line\b|Class\.|null pointer)/i.test(message)
  );
}

function technicalDetails(list, messages, exceptionTypes) {
  const details = [];
  for (const error of list) {
    if (error && typeof error === 'object' && error.status) {
      details.push(`HTTP ${error.status}${error.statusText ? ` ${error.statusText}` : ''}`);
    }
  }
  details.push(...exceptionTypes, ...messages);
  return [...new Set(details)];
}

const SYNC_ERROR_RULES = [
  {
    pattern: /no email|email (address )?(is )?(missing|required|blank|empty)|REQUIRED_FIELD_MISSING.*email/i,
    message: 'This person has no email address in Salesforce, so Responsys cannot email them. Add one.',
  },
  {
    pattern: /bad email|invalid email|email format|INVALID_EMAIL|malformed email/i,
    message:
      'Responsys rejected the email address as invalid. Check the Email field for a typo; the record syncs again after you save it.',
  },
  {
    pattern:
      /API_LIMIT_EXCEEDED|INTERNAL_CAPACITY_LIMIT_EXCEEDED|REQUEST_LIMIT_EXCEEDED|rate limit|UNABLE_TO_LOCK_ROW|timed? ?out|timeout|ECONNRESET|ECONNREFUSED|ETIMEDOUT|UNEXPECTED_EXCEPTION|\b50[234]\b/i,
    message:
      'Responsys was busy, so the latest changes have not reached it yet. The bridge retries on its own; there is nothing you need to do.',
  },
  {
    pattern:
      /INVALID_TOKEN|TOKEN_EXPIRED|INVALID_USER_NAME_PASSWORD|PASSWORD_(EXPIRED|LOCKOUT)|API_DISABLED_FOR_USER|API_BLOCKED|INSUFFICIENT_ACCESS|unauthori[sz]ed|authentication/i,
    message:
      'The connection between Salesforce and Responsys needs your admin’s attention. Nothing is wrong with this record.',
  },
  {
    pattern:
      /LIST_NOT_FOUND|PROFILE_LIST_NOT_FOUND|TABLE_NOT_FOUND|PET_NOT_FOUND|INVALID_FIELD_NAME|INVALID_OBJECT|mapping|transform/i,
    message:
      'The Responsys setup does not match the mappings in Salesforce (a list or column is missing). Your admin needs to fix the mapping.',
  },
  {
    pattern: /FIELD_CUSTOM_VALIDATION_EXCEPTION|validation rule/i,
    message:
      'A Salesforce validation rule blocked an update coming from Responsys. Ask your admin to check the rule.',
  },
  {
    pattern: /cooldown|already active|not eligible|ineligible/i,
    message:
      'Responsys did not enter this person into the program because they are not eligible yet (already active or in a cool-down period).',
  },
];

/**
 * Describes the record's Responsys sync problem for a rep.
 * @param {string} syncStatus Responsys_Sync_Status__c (Pending, Synced, Failed, Skipped)
 * @param {string} syncError Responsys_Sync_Error__c, the raw error the bridge wrote
 * @returns {{ title: string, message: string, details: string[] } | undefined} nothing to say when
 *   the sync is fine
 */
export function describeSyncError(syncStatus, syncError) {
  const raw = typeof syncError === 'string' ? syncError.trim() : '';
  if (syncStatus !== 'Failed' && syncStatus !== 'Skipped') {
    return undefined;
  }
  const rule = SYNC_ERROR_RULES.find(({ pattern }) => pattern.test(raw));
  if (syncStatus === 'Skipped') {
    return {
      title: 'This record is not synced with Responsys.',
      message: rule
        ? rule.message
        : 'The bridge skipped it on purpose, for example because it has no email address or is excluded by a mapping rule.',
      details: raw ? [raw] : [],
    };
  }
  return {
    title: 'The last sync with Responsys failed.',
    message: rule
      ? rule.message
      : 'The bridge will try again. If this message is still here tomorrow, send the details to your Salesforce admin.',
    details: raw ? [raw] : [],
  };
}
