import { z } from 'zod';
import type { FaultPlan, FaultRule, FaultRuleInput } from '../../shared/faults.js';
import { checkCell } from '../account/fieldValues.js';
import type { ResponsysCore } from '../core.js';
import type { ExportedFile, ExportRequest } from '../engagement/cedFiles.js';
import type { EngagementEvent, EngagementInput } from '../engagement/events.js';
import { injectEngagement } from '../engagement/inject.js';
import type { ProgramEntry } from '../store/accountState.js';
import type { MemberRecord, ProfileList } from '../store/profileList.js';
import { snapshot, type ResponsysStateSnapshot, type StateSection } from './state.js';

export const recipientRefSchema = z
  .object({
    riid: z.union([z.number().int().positive(), z.string().regex(/^\d+$/)]).optional(),
    email: z.string().min(1).optional(),
    customerId: z.string().min(1).optional(),
  })
  .strict()
  .refine((r) => r.riid !== undefined || r.email !== undefined || r.customerId !== undefined, {
    message: 'name the recipient by riid, email or customerId',
  });
export type RecipientRef = z.infer<typeof recipientRefSchema>;

export const profileUpdateSchema = z
  .object({
    listName: z.string().min(1).optional(),
    recipient: recipientRefSchema,
    fields: z.record(z.string(), z.union([z.string(), z.null()])),
  })
  .strict();
export type ProfileUpdate = z.infer<typeof profileUpdateSchema>;

/** A problem with a control request; the HTTP control API answers it with a 400. */
export class ControlRequestError extends Error {}

/**
 * The in-process control handle (`emulator.control`). Everything here is also reachable over HTTP
 * under `/__control/`, which is the stable interface for processes outside the test.
 */
export class ResponsysControl {
  constructor(private readonly core: ResponsysCore) {}

  /** Back to the starting state (see ResponsysCore.reset); `demoData` switches demo seeding on or off. */
  reset(options: { demoData?: boolean } = {}): void {
    this.core.reset(options);
  }

  state(sections?: readonly StateSection[]): ResponsysStateSnapshot {
    return snapshot(this.core, sections);
  }

  /** The seeded fault plan (add rules, list them, clear them). */
  get faults(): FaultPlan {
    return this.core.faults;
  }

  addFault(rule: FaultRuleInput): FaultRule {
    return this.core.faults.add(rule);
  }

  /** Records engagement for existing recipients; throws EngagementRejected listing every problem. */
  injectEngagement(events: EngagementInput[]): EngagementEvent[] {
    return injectEngagement(this.core, events);
  }

  /** Writes Contact Event Data (and profile-list) files for everything not exported yet. */
  exportEventFiles(request: ExportRequest = {}): Promise<ExportedFile[]> {
    return this.core.exporter.exportNow(request);
  }

  /** Waits until every queued Event Notification callback has been delivered or given up on. */
  flushNotifications(): Promise<void> {
    return this.core.notifications.flush();
  }

  /** Who entered which program when, in order. */
  programEntries(): ProgramEntry[] {
    return this.core.account.programEntries.map((e) => ({ ...e }));
  }

  findMember(recipient: RecipientRef, listName?: string): MemberRecord | undefined {
    const member = this.list(listName).findByRef(recipient);
    return member ? { ...member } : undefined;
  }

  /** A marketer editing a profile in the Responsys UI: the change shows in the next profile export. */
  updateProfile(update: ProfileUpdate): MemberRecord {
    const parsed = profileUpdateSchema.safeParse(update);
    if (!parsed.success) throw new ControlRequestError(parsed.error.issues.map((i) => i.message).join('; '));
    const list = this.list(parsed.data.listName);
    const member = list.findByRef(parsed.data.recipient);
    if (!member)
      throw new ControlRequestError(`No recipient ${JSON.stringify(parsed.data.recipient)} in ${list.name}`);
    const changes = new Map<string, string | null>();
    for (const [name, raw] of Object.entries(parsed.data.fields)) {
      const field = list.column(name);
      if (!field || field.fieldName === 'RIID_')
        throw new ControlRequestError(`${name} is not an editable column of ${list.name}`);
      const check = checkCell(field, raw);
      if (!check.ok) throw new ControlRequestError(check.message);
      changes.set(field.fieldName, check.value);
    }
    list.update(member, changes, this.core.now());
    return { ...member };
  }

  /** Changes per-function limits at runtime (requests per window). */
  setRateLimits(limits: Record<string, number>): void {
    this.core.rateLimiter.setLimits(limits);
  }

  /** Every token issued so far stops working, as if it had expired. */
  expireTokens(): number {
    return this.core.tokens.revokeAll();
  }

  private list(listName: string | undefined): ProfileList {
    const list = listName
      ? this.core.account.lists.get(listName)
      : this.core.account.lists.values().next().value;
    if (!list) throw new ControlRequestError(`Unknown profile list ${listName}`);
    return list;
  }
}
