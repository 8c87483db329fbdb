import { hashMatchColumns, matchColumns, type MatchColumn } from '../account/definitions.js';
import { errors } from '../http/wire.js';

// The profile-list merge rule: validation, defaults, and the echo (all 12 keys, null when not sent).

export const mergeRuleKeys = [
  'textValue',
  'htmlValue',
  'optinValue',
  'insertOnNoMatch',
  'updateOnMatch',
  'matchColumnName1',
  'matchColumnName2',
  'matchOperator',
  'optoutValue',
  'rejectRecordIfChannelEmpty',
  'defaultPermissionStatus',
  'matchColumnName3',
] as const;

export interface MergeRule {
  htmlValue: string | null;
  textValue: string | null;
  optinValue: string | null;
  optoutValue: string | null;
  insertOnNoMatch: boolean;
  updateOnMatch: 'REPLACE_ALL' | 'NO_UPDATE';
  matchColumns: MatchColumn[];
  matchOperator: 'NONE' | 'AND';
  /** Channel columns that must not end up empty. */
  requiredChannels: Array<'EMAIL_ADDRESS_' | 'MOBILE_NUMBER_' | 'POSTAL_CODE_'>;
  defaultPermissionStatus: 'OPTIN' | 'OPTOUT';
  echo: Record<(typeof mergeRuleKeys)[number], unknown>;
}

const channelColumns = { E: 'EMAIL_ADDRESS_', M: 'MOBILE_NUMBER_', P: 'POSTAL_CODE_' } as const;

function optionalString(rule: Record<string, unknown>, key: string): string | null {
  const value = rule[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw errors.invalidParameter(`${key} must be a string`);
  return value;
}

function matchColumn(rule: Record<string, unknown>, key: string): MatchColumn | null {
  const value = rule[key];
  if (value === undefined || value === null || value === '') return null;
  const upper = typeof value === 'string' ? value.toUpperCase() : value;
  if (!(matchColumns as readonly unknown[]).includes(upper)) {
    throw errors.invalidParameter(
      `Invalid ${key} ${JSON.stringify(value)}; allowed: ${matchColumns.join(', ')}`,
    );
  }
  return upper as MatchColumn;
}

export function parseMergeRule(input: unknown): MergeRule {
  if (!input || typeof input !== 'object' || Array.isArray(input))
    throw errors.invalidParameter('MergeRule is null');
  const rule = input as Record<string, unknown>;
  const echo = Object.fromEntries(mergeRuleKeys.map((key) => [key, rule[key] ?? null])) as MergeRule['echo'];

  const first = matchColumn(rule, 'matchColumnName1');
  if (!first) throw errors.invalidParameter('Match Column is null');
  const second = matchColumn(rule, 'matchColumnName2');
  if (rule.matchColumnName3 !== undefined && rule.matchColumnName3 !== null) {
    throw errors.invalidParameter('matchColumnName3 is not supported and must be null');
  }
  const columns = second ? [first, second] : [first];
  if (second === first) throw errors.invalidParameter('matchColumnName1 and matchColumnName2 must differ');
  const hashes = columns.filter((c) => hashMatchColumns.has(c));
  if (hashes.length === 2) throw errors.invalidParameter('Two hash match columns cannot be used together');
  if (hashes.length === 1 && columns.includes('EMAIL_ADDRESS_')) {
    throw errors.invalidParameter(
      'EMAIL_ADDRESS_ and a hash column cannot be used together as match columns',
    );
  }

  const operator = rule.matchOperator ?? 'NONE';
  if (operator !== 'NONE' && operator !== 'AND')
    throw errors.invalidParameter('matchOperator must be NONE or AND');

  const insert = rule.insertOnNoMatch ?? true;
  if (typeof insert !== 'boolean') throw errors.invalidParameter('insertOnNoMatch must be true or false');
  if (insert && hashes.length > 0) {
    throw errors.invalidParameter('insertOnNoMatch must be false when matching on a hash column');
  }

  const update = rule.updateOnMatch ?? 'REPLACE_ALL';
  if (update !== 'REPLACE_ALL' && update !== 'NO_UPDATE') {
    throw errors.invalidParameter('updateOnMatch must be REPLACE_ALL or NO_UPDATE');
  }

  // Omitted means OPTOUT (swagger); the echo still shows what the caller sent.
  const permission = rule.defaultPermissionStatus ?? 'OPTOUT';
  if (permission !== 'OPTIN' && permission !== 'OPTOUT') {
    throw errors.invalidParameter('defaultPermissionStatus must be OPTIN or OPTOUT');
  }

  const channels = optionalString(rule, 'rejectRecordIfChannelEmpty');
  const requiredChannels = new Set<MergeRule['requiredChannels'][number]>();
  for (const code of (channels ?? '').split(',').map((c) => c.trim().toUpperCase())) {
    if (code === '') continue;
    const column = channelColumns[code as keyof typeof channelColumns];
    if (!column) throw errors.invalidParameter(`Invalid channel code ${code} in rejectRecordIfChannelEmpty`);
    requiredChannels.add(column);
  }
  // The channel of the first match column is always checked.
  if (first === 'EMAIL_ADDRESS_' || first === 'MOBILE_NUMBER_') requiredChannels.add(first);

  return {
    htmlValue: optionalString(rule, 'htmlValue'),
    textValue: optionalString(rule, 'textValue'),
    optinValue: optionalString(rule, 'optinValue'),
    optoutValue: optionalString(rule, 'optoutValue'),
    insertOnNoMatch: insert,
    updateOnMatch: update,
    matchColumns: columns,
    matchOperator: operator,
    requiredChannels: [...requiredChannels],
    defaultPermissionStatus: permission,
    echo,
  };
}

/** The all-null rule retrieve and delete answers carry. */
export function nullMergeRule(): Record<(typeof mergeRuleKeys)[number], unknown> {
  const rule = Object.fromEntries(mergeRuleKeys.map((key) => [key, null])) as Record<
    (typeof mergeRuleKeys)[number],
    unknown
  >;
  rule.insertOnNoMatch = false;
  return rule;
}
