import type { ResponsysCore } from '../core.js';
import type { EngagementEvent } from '../engagement/events.js';
import type { EmailTrigger, ProgramEntry } from '../store/accountState.js';
import type { MemberRecord } from '../store/profileList.js';
import type { TableRow } from '../store/supplementalTable.js';
import type { DeliveryAttempt, NotificationPayload, Subscription } from '../notifications/hub.js';
import type { FaultRule } from '../../shared/faults.js';

// The emulator's state as tests read it (`GET /__control/state` and `emulator.control.state()`).

export const stateSections = [
  'lists',
  'supplementalTables',
  'programEntries',
  'emailTriggers',
  'engagement',
  'calls',
  'notifications',
  'faults',
] as const;
export type StateSection = (typeof stateSections)[number];

export interface ResponsysStateSnapshot {
  accountId: string;
  lists?: Record<
    string,
    {
      folderName: string;
      memberCount: number;
      members: MemberRecord[];
      extensions: Record<string, TableRow[]>;
    }
  >;
  /** Keyed `<folderName>/<tableName>`. */
  supplementalTables?: Record<string, TableRow[]>;
  /** Who entered which program when, in order. */
  programEntries?: ProgramEntry[];
  emailTriggers?: EmailTrigger[];
  engagement?: Array<
    Omit<EngagementEvent, 'occurredAt' | 'storedAt'> & { occurredAt: string; storedAt: string }
  >;
  /** Requests per API function (whatever their outcome), throttled ones, and the current window. */
  calls?: {
    total: Record<string, number>;
    throttled: Record<string, number>;
    inCurrentWindow: Record<string, number>;
  };
  notifications?: {
    callbacks: Array<{
      name: string;
      url: string;
      backupUrl: string | null;
      batchSize: number;
      verified: boolean;
    }>;
    subscriptions: Subscription[];
    deliveries: DeliveryAttempt[];
    undelivered: Array<{ callbackName: string; payloads: NotificationPayload[] }>;
  };
  faults?: FaultRule[];
}

export function snapshot(
  core: ResponsysCore,
  sections: readonly StateSection[] = stateSections,
): ResponsysStateSnapshot {
  const wanted = new Set(sections);
  const state: ResponsysStateSnapshot = { accountId: core.accountId };
  const account = core.account;
  if (wanted.has('lists')) {
    state.lists = {};
    for (const list of account.lists.values()) {
      const extensions: Record<string, TableRow[]> = {};
      for (const pet of list.extensions.values())
        extensions[pet.name] = [...pet.rows.values()].map((r) => ({ ...r }));
      state.lists[list.name] = {
        folderName: list.folderName,
        memberCount: list.members.size,
        members: [...list.members.values()].map((m) => ({ ...m })),
        extensions,
      };
    }
  }
  if (wanted.has('supplementalTables')) {
    state.supplementalTables = {};
    for (const table of account.tables.values()) {
      state.supplementalTables[`${table.folderName}/${table.name}`] = [...table.rows.values()].map((r) => ({
        ...r,
      }));
    }
  }
  if (wanted.has('programEntries')) state.programEntries = account.programEntries.map((e) => ({ ...e }));
  if (wanted.has('emailTriggers')) state.emailTriggers = account.emailTriggers.map((e) => ({ ...e }));
  if (wanted.has('engagement')) {
    state.engagement = core.engagement.map((e) => ({
      ...e,
      occurredAt: new Date(e.occurredAt).toISOString(),
      storedAt: new Date(e.storedAt).toISOString(),
    }));
  }
  if (wanted.has('calls')) {
    state.calls = {
      total: Object.fromEntries(core.calls),
      throttled: Object.fromEntries(core.throttled),
      inCurrentWindow: core.rateLimiter.usage(),
    };
  }
  if (wanted.has('notifications')) {
    const hub = core.notifications;
    state.notifications = {
      callbacks: [...hub.callbacks.values()].map((c) => ({
        name: c.name,
        url: c.url,
        backupUrl: c.backupUrl,
        batchSize: c.batchSize,
        verified: c.verified,
      })),
      subscriptions: [...hub.subscriptions.values()],
      deliveries: [...hub.deliveries],
      undelivered: [...hub.undelivered],
    };
  }
  if (wanted.has('faults')) state.faults = core.faults.list();
  return state;
}
