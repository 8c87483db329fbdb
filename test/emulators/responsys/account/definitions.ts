import { z } from 'zod';

// The objects a Responsys account holds, as an admin defines them in the Responsys UI: profile lists
// (with their profile extension tables), supplemental tables, custom events and email campaigns. The
// emulator starts from one of these definitions; tests may pass their own (the conformance suite uses
// the names found in the recordings).

export const fieldTypes = [
  'STR25',
  'STR50',
  'STR100',
  'STR255',
  'STR500',
  'STR4000',
  'CHAR',
  'INTEGER',
  'NUMBER',
  'TIMESTAMP',
] as const;
export type FieldType = (typeof fieldTypes)[number];

export interface FieldDefinition {
  fieldName: string;
  fieldType: FieldType;
}

/** Custom column names: ≤30 chars, letters, digits, $ # _, start with a letter, no trailing `_`. */
const customFieldName = z
  .string()
  .regex(
    /^[A-Za-z][A-Za-z0-9$#_]{0,29}$/,
    'a column name is 1-30 of A-Z a-z 0-9 $ # _, starting with a letter',
  )
  .refine((name) => !name.endsWith('_'), 'a trailing underscore is reserved for system columns');

const fieldSchema = z.object({ fieldName: customFieldName, fieldType: z.enum(fieldTypes) }).strict();

const extensionSchema = z
  .object({
    name: z.string().min(1),
    folderName: z.string().min(1),
    fields: z.array(fieldSchema),
  })
  .strict();

const profileListSchema = z
  .object({
    name: z.string().min(1),
    folderName: z.string().min(1),
    listId: z.number().int().positive(),
    customFields: z.array(fieldSchema),
    extensions: z.array(extensionSchema).default([]),
  })
  .strict();

const supplementalTableSchema = z
  .object({
    name: z.string().min(1),
    folderName: z.string().min(1),
    fields: z.array(fieldSchema).min(1),
    primaryKey: z.array(z.string()).default([]),
  })
  .strict()
  .refine((table) => table.primaryKey.every((key) => table.fields.some((f) => f.fieldName === key)), {
    message: 'every primary key column must be one of the table fields (names are case-sensitive)',
  });

const customEventSchema = z
  .object({
    eventName: z.string().min(1),
    description: z.string().default(''),
    eventType: z.string().default('REAL_TIME'),
    /** The program this event enters recipients into (what a test asserts on). */
    programName: z.string().min(1),
  })
  .strict();

const campaignSchema = z
  .object({
    campaignId: z.number().int().positive(),
    name: z.string().min(1),
    listName: z.string().min(1),
    launchId: z.number().int().positive(),
    subject: z.string().default(''),
    purpose: z.string().default('Promotional'),
    externalCampaignId: z.string().default(''),
    salesforceCampaignId: z.string().default(''),
  })
  .strict();

export const accountDefinitionSchema = z
  .object({
    accountId: z.string().regex(/^\d+$/, 'the account id is numeric'),
    profileLists: z.array(profileListSchema).min(1),
    supplementalTables: z.array(supplementalTableSchema).default([]),
    customEvents: z.array(customEventSchema).default([]),
    campaigns: z.array(campaignSchema).default([]),
  })
  .strict()
  .superRefine((account, ctx) => {
    const lists = new Set(account.profileLists.map((l) => l.name));
    for (const campaign of account.campaigns) {
      if (!lists.has(campaign.listName)) {
        ctx.addIssue({
          code: 'custom',
          message: `campaign ${campaign.name} uses unknown list ${campaign.listName}`,
        });
      }
    }
  });

export type AccountDefinitionInput = z.input<typeof accountDefinitionSchema>;
export type AccountDefinition = z.output<typeof accountDefinitionSchema>;
export type ProfileListDefinition = AccountDefinition['profileLists'][number];
export type ProfileExtensionDefinition = ProfileListDefinition['extensions'][number];
export type SupplementalTableDefinition = AccountDefinition['supplementalTables'][number];
export type CustomEventDefinition = AccountDefinition['customEvents'][number];
export type CampaignDefinition = AccountDefinition['campaigns'][number];

/** Parses a definition and says what is wrong in terms an emulator user understands. */
export function parseAccountDefinition(input: AccountDefinitionInput): AccountDefinition {
  const parsed = accountDefinitionSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(account)'}: ${i.message}`);
    throw new Error(`Invalid Responsys account definition:\n  ${issues.join('\n  ')}`);
  }
  return parsed.data;
}

/**
 * Profile-list system columns in the order Responsys lists them. Types come from Oracle's list-fields
 * page; the seven marked "types UNCONFIRMED" in the API notes are given the most permissive type.
 */
export const systemColumns: readonly FieldDefinition[] = [
  { fieldName: 'RIID_', fieldType: 'INTEGER' },
  { fieldName: 'CREATED_SOURCE_IP_', fieldType: 'STR255' },
  { fieldName: 'CUSTOMER_ID_', fieldType: 'STR255' },
  { fieldName: 'EMAIL_ADDRESS_', fieldType: 'STR500' },
  { fieldName: 'EMAIL_DOMAIN_', fieldType: 'STR255' },
  { fieldName: 'EMAIL_ISP_', fieldType: 'STR255' },
  { fieldName: 'EMAIL_FORMAT_', fieldType: 'CHAR' },
  { fieldName: 'EMAIL_PERMISSION_STATUS_', fieldType: 'CHAR' },
  { fieldName: 'EMAIL_DELIVERABILITY_STATUS_', fieldType: 'CHAR' },
  { fieldName: 'EMAIL_PERMISSION_REASON_', fieldType: 'STR255' },
  { fieldName: 'EMAIL_MD5_HASH_', fieldType: 'STR50' },
  { fieldName: 'EMAIL_SHA256_HASH_', fieldType: 'STR100' },
  { fieldName: 'MOBILE_NUMBER_', fieldType: 'STR50' },
  { fieldName: 'MOBILE_COUNTRY_', fieldType: 'STR25' },
  { fieldName: 'MOBILE_PERMISSION_STATUS_', fieldType: 'CHAR' },
  { fieldName: 'MOBILE_DELIVERABILITY_STATUS_', fieldType: 'CHAR' },
  { fieldName: 'MOBILE_PERMISSION_REASON_', fieldType: 'STR255' },
  { fieldName: 'POSTAL_STREET_1_', fieldType: 'STR255' },
  { fieldName: 'POSTAL_STREET_2_', fieldType: 'STR255' },
  { fieldName: 'CITY_', fieldType: 'STR50' },
  { fieldName: 'STATE_', fieldType: 'STR50' },
  { fieldName: 'POSTAL_CODE_', fieldType: 'STR255' },
  { fieldName: 'COUNTRY_', fieldType: 'STR255' },
  { fieldName: 'POSTAL_PERMISSION_STATUS_', fieldType: 'CHAR' },
  { fieldName: 'POSTAL_DELIVERABILITY_STATUS_', fieldType: 'CHAR' },
  { fieldName: 'POSTAL_PERMISSION_REASON_', fieldType: 'STR255' },
  { fieldName: 'CREATED_DATE_', fieldType: 'TIMESTAMP' },
  { fieldName: 'MODIFIED_DATE_', fieldType: 'TIMESTAMP' },
];

/** Columns the server maintains; values sent for them in a merge are ignored. */
export const serverMaintainedColumns = new Set([
  'CREATED_SOURCE_IP_',
  'EMAIL_DOMAIN_',
  'EMAIL_ISP_',
  'EMAIL_DELIVERABILITY_STATUS_',
  'EMAIL_PERMISSION_REASON_',
  'EMAIL_MD5_HASH_',
  'EMAIL_SHA256_HASH_',
  'MOBILE_DELIVERABILITY_STATUS_',
  'MOBILE_PERMISSION_REASON_',
  'POSTAL_DELIVERABILITY_STATUS_',
  'POSTAL_PERMISSION_REASON_',
  'CREATED_DATE_',
  'MODIFIED_DATE_',
]);

/** The columns a recipient can be matched on (merge rules, query attributes). */
export const matchColumns = [
  'RIID_',
  'CUSTOMER_ID_',
  'EMAIL_ADDRESS_',
  'MOBILE_NUMBER_',
  'EMAIL_MD5_HASH_',
  'EMAIL_SHA256_HASH_',
] as const;
export type MatchColumn = (typeof matchColumns)[number];

export const hashMatchColumns = new Set<MatchColumn>(['EMAIL_MD5_HASH_', 'EMAIL_SHA256_HASH_']);

/** Query attributes (`qa=`) and the column each one reads. */
export const queryAttributes: Record<string, MatchColumn> = {
  r: 'RIID_',
  e: 'EMAIL_ADDRESS_',
  c: 'CUSTOMER_ID_',
  m: 'MOBILE_NUMBER_',
  e_md5: 'EMAIL_MD5_HASH_',
  e_sha256: 'EMAIL_SHA256_HASH_',
};
