import { createHash } from 'node:crypto';
import {
  systemColumns,
  type FieldDefinition,
  type MatchColumn,
  type ProfileExtensionDefinition,
  type ProfileListDefinition,
} from '../account/definitions.js';
import { restTimestamp } from '../account/time.js';

/** One recipient: canonical column name → value (strings or null, as the API returns them). */
export type MemberRecord = Record<string, string | null>;

type IndexedColumn = Exclude<MatchColumn, 'RIID_'>;
const indexedColumns: IndexedColumn[] = [
  'CUSTOMER_ID_',
  'EMAIL_ADDRESS_',
  'MOBILE_NUMBER_',
  'EMAIL_MD5_HASH_',
  'EMAIL_SHA256_HASH_',
];

/** Email matching ignores case and surrounding blanks; hashes are hex and compared in lower case. */
export function matchKey(column: MatchColumn, value: string): string {
  switch (column) {
    case 'EMAIL_ADDRESS_':
    case 'EMAIL_MD5_HASH_':
    case 'EMAIL_SHA256_HASH_':
      return value.trim().toLowerCase();
    default:
      return value.trim();
  }
}

const ispByDomain: Record<string, string> = {
  'gmail.com': 'Gmail',
  'googlemail.com': 'Gmail',
  'yahoo.com': 'Yahoo',
  'outlook.com': 'Microsoft',
  'hotmail.com': 'Microsoft',
  'live.com': 'Microsoft',
  'aol.com': 'AOL',
  'icloud.com': 'Apple',
};

/** A profile extension table: one row per recipient, keyed by RIID. */
export class ProfileExtension {
  readonly name: string;
  readonly folderName: string;
  readonly fields: FieldDefinition[];
  readonly rows = new Map<number, MemberRecord>();
  private readonly byUpper: Map<string, FieldDefinition>;

  constructor(definition: ProfileExtensionDefinition) {
    this.name = definition.name;
    this.folderName = definition.folderName;
    this.fields = [{ fieldName: 'RIID_', fieldType: 'INTEGER' }, ...definition.fields];
    this.byUpper = new Map(this.fields.map((f) => [f.fieldName.toUpperCase(), f]));
  }

  /** PET column names are case-insensitive, like list columns. */
  column(name: string): FieldDefinition | undefined {
    return this.byUpper.get(name.toUpperCase());
  }
}

/**
 * A profile list with Map indexes on every match column, so a merge of 200 records costs 200 lookups
 * whatever the list size.
 */
export class ProfileList {
  readonly name: string;
  readonly folderName: string;
  readonly listId: number;
  readonly fields: FieldDefinition[];
  readonly members = new Map<number, MemberRecord>();
  readonly extensions = new Map<string, ProfileExtension>();
  /** Members inserted or changed since the last profile-list export. */
  readonly changedSinceExport = new Set<number>();
  private readonly byUpper: Map<string, FieldDefinition>;
  private readonly indexes = new Map<IndexedColumn, Map<string, Set<number>>>();

  constructor(definition: ProfileListDefinition) {
    this.name = definition.name;
    this.folderName = definition.folderName;
    this.listId = definition.listId;
    this.fields = [...systemColumns, ...definition.customFields];
    this.byUpper = new Map(this.fields.map((f) => [f.fieldName.toUpperCase(), f]));
    for (const column of indexedColumns) this.indexes.set(column, new Map());
    for (const extension of definition.extensions) {
      this.extensions.set(extension.name, new ProfileExtension(extension));
    }
  }

  /** List column names are case-insensitive (`riid_` and `RIID_` are the same column). */
  column(name: string): FieldDefinition | undefined {
    return this.byUpper.get(name.toUpperCase());
  }

  find(column: MatchColumn, value: string): MemberRecord[] {
    if (column === 'RIID_') {
      const member = /^\d+$/.test(value.trim()) ? this.members.get(Number(value.trim())) : undefined;
      return member ? [member] : [];
    }
    const riids = this.indexes.get(column)?.get(matchKey(column, value));
    if (!riids) return [];
    const found: MemberRecord[] = [];
    for (const riid of riids) {
      const member = this.members.get(riid);
      if (member) found.push(member);
    }
    return found;
  }

  /** Inserts a recipient with server-maintained columns filled in. */
  insert(
    riid: number,
    values: Map<string, string | null>,
    now: number,
    sourceIp: string | null,
  ): MemberRecord {
    const member: MemberRecord = Object.create(null) as MemberRecord;
    for (const field of this.fields) member[field.fieldName] = null;
    member.RIID_ = String(riid);
    member.CREATED_SOURCE_IP_ = sourceIp;
    member.CREATED_DATE_ = restTimestamp(now);
    for (const [column, value] of values) member[column] = value;
    member.EMAIL_FORMAT_ ??= 'H';
    this.deriveEmailColumns(member, true);
    member.MODIFIED_DATE_ = restTimestamp(now);
    this.members.set(riid, member);
    this.addToIndexes(riid, member);
    this.changedSinceExport.add(riid);
    return member;
  }

  /** Replaces the given columns of an existing recipient (REPLACE_ALL semantics). */
  update(member: MemberRecord, values: Map<string, string | null>, now: number): void {
    const riid = Number(member.RIID_);
    this.removeFromIndexes(riid, member);
    const previousEmail = member.EMAIL_ADDRESS_;
    for (const [column, value] of values) member[column] = value;
    this.deriveEmailColumns(member, member.EMAIL_ADDRESS_ !== previousEmail);
    member.MODIFIED_DATE_ = restTimestamp(now);
    this.addToIndexes(riid, member);
    this.changedSinceExport.add(riid);
  }

  remove(riid: number): boolean {
    const member = this.members.get(riid);
    if (!member) return false;
    this.removeFromIndexes(riid, member);
    this.members.delete(riid);
    this.changedSinceExport.delete(riid);
    // Deleting a list member also deletes its profile extension rows.
    for (const extension of this.extensions.values()) extension.rows.delete(riid);
    return true;
  }

  clear(): void {
    this.members.clear();
    this.changedSinceExport.clear();
    for (const index of this.indexes.values()) index.clear();
    for (const extension of this.extensions.values()) extension.rows.clear();
  }

  private deriveEmailColumns(member: MemberRecord, emailChanged: boolean): void {
    const email = member.EMAIL_ADDRESS_;
    if (!email) {
      member.EMAIL_DOMAIN_ = null;
      member.EMAIL_ISP_ = null;
      member.EMAIL_MD5_HASH_ = null;
      member.EMAIL_SHA256_HASH_ = null;
      member.EMAIL_DELIVERABILITY_STATUS_ = null;
      return;
    }
    if (!emailChanged) return;
    const normalized = email.trim().toLowerCase();
    const domain = normalized.split('@')[1] ?? null;
    member.EMAIL_DOMAIN_ = domain;
    member.EMAIL_ISP_ = domain ? (ispByDomain[domain] ?? 'Other') : null;
    member.EMAIL_MD5_HASH_ = createHash('md5').update(normalized).digest('hex');
    member.EMAIL_SHA256_HASH_ = createHash('sha256').update(normalized).digest('hex');
    // A new address starts out deliverable until a hard bounce says otherwise.
    member.EMAIL_DELIVERABILITY_STATUS_ = 'D';
  }

  private addToIndexes(riid: number, member: MemberRecord): void {
    for (const column of indexedColumns) {
      const value = member[column];
      if (value === null || value === undefined) continue;
      const index = this.indexes.get(column)!;
      const key = matchKey(column, value);
      let riids = index.get(key);
      if (!riids) index.set(key, (riids = new Set()));
      riids.add(riid);
    }
  }

  private removeFromIndexes(riid: number, member: MemberRecord): void {
    for (const column of indexedColumns) {
      const value = member[column];
      if (value === null || value === undefined) continue;
      const index = this.indexes.get(column)!;
      const key = matchKey(column, value);
      const riids = index.get(key);
      riids?.delete(riid);
      if (riids && riids.size === 0) index.delete(key);
    }
  }
}
