import type { PersonObject } from '../../identity/types.js';
import type { MappingSnapshot } from '../../mapping/engine.js';
import { PROFILE_LIST_TARGET } from '../../mapping/validation.js';

// Which mapped columns one record's merge carries. Outbound-only columns always go (Salesforce is
// their master, and sending the same columns for every record keeps a batch in one Responsys call).
// Two-way columns (maps with direction Both) go only when they may have changed: the change names
// their field, or does not say what changed; the person sync then leaves out those that did not
// change since the bridge last wrote them, echoes of its own inbound writes, and those Responsys
// changed later (most recent change wins per field). PET columns always go with their PET.

export type LeftOutReason = 'unchanged' | 'echo' | 'newer_in_responsys';

/** The ledger target of a profile-list column (the inbound side uses the same name). */
export function profileTarget(column: string): string {
  return `${PROFILE_LIST_TARGET}.${column}`;
}

export interface ColumnPlan {
  /** two-way profile columns still planned, with the Salesforce field each comes from */
  readonly twoWay: readonly string[];
  salesforceFieldOf(column: string): string | undefined;
  leaveOut(column: string, reason: LeftOutReason): void;
  leftOut(reason: LeftOutReason): string[];
  /** every mapped column goes (a recipient created anew) */
  sendEverything(): void;
  /** profile-list columns to send (keys and permission status are added by the merge) */
  profileColumns(): string[];
  sentTwoWay(): string[];
  extensionTargets(): string[];
  extensionColumns(pet: string): string[];
  /** everything sent, PET columns as `PET.COLUMN`, for the sync log */
  sentColumns(): string[];
}

export function planColumns(input: {
  snapshot: MappingSnapshot;
  objectType: PersonObject;
  /** empty: unknown, every column may have changed */
  changedFields: readonly string[];
  profile: Record<string, string | null>;
  extensions: Record<string, Record<string, string | null>>;
}): ColumnPlan {
  const maps = input.snapshot.mapsFor(input.objectType, 'outbound');
  const changed = new Set(input.changedFields.map((field) => field.toLowerCase()));
  const twoWayMaps = maps.filter((map) => map.inbound && map.target === PROFILE_LIST_TARGET);
  const fieldOf = new Map(twoWayMaps.map((map) => [map.column, map.salesforceField.name]));
  const allTwoWay = twoWayMaps.map((map) => map.column).filter((column) => column in input.profile);
  const oneWay = Object.keys(input.profile).filter((column) => !fieldOf.has(column));
  let planned = new Set(
    changed.size === 0
      ? allTwoWay
      : twoWayMaps.filter((map) => changed.has(map.watchedField.toLowerCase())).map((map) => map.column),
  );
  const reasons = new Map<string, LeftOutReason>();

  const plan: ColumnPlan = {
    get twoWay() {
      return [...planned].filter((column) => !reasons.has(column));
    },
    salesforceFieldOf: (column) => fieldOf.get(column),
    leaveOut(column, reason) {
      if (planned.has(column)) reasons.set(column, reason);
    },
    leftOut: (reason) => [...reasons].filter(([, why]) => why === reason).map(([column]) => column),
    sendEverything() {
      planned = new Set(allTwoWay);
      reasons.clear();
    },
    profileColumns: () => [...oneWay, ...plan.sentTwoWay()],
    sentTwoWay: () => allTwoWay.filter((column) => planned.has(column) && !reasons.has(column)),
    extensionTargets: () => Object.keys(input.extensions),
    extensionColumns: (pet) => Object.keys(input.extensions[pet] ?? {}),
    sentColumns: () => [
      ...plan.profileColumns(),
      ...plan
        .extensionTargets()
        .flatMap((pet) => plan.extensionColumns(pet).map((column) => `${pet}.${column}`)),
    ],
  };
  return plan;
}
