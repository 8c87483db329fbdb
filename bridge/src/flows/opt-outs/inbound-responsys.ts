import type { RecipientDirectory } from '../../identity/types.js';
import type { ResponsysClient } from '../../responsys/client.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { hashValue, type SyncLedger } from '../../store/sync-ledger.js';

// After an opt-out or opt-in from Responsys reached Salesforce, the recipient's permission status in
// Responsys must still say what the person chose:
// - an opt-out: an update of the same person queued before the opt-out (read while Salesforce still
//   said "in") may have merged I meanwhile. The recipient gets O again - unless an opt-in of the person
//   at least as recent as the opt-out is known (then I is the person's own doing).
// - an opt-in: if the bridge itself set O after the person opted in (the opt-in was not known yet),
//   the person's I is put back.
// Every write is remembered in the sync ledger. What fails here, the reconciliation heals.

/** The ledger target of the permission status written to a recipient (as the outbound flows name it). */
export const PERMISSION_TARGET = 'PROFILE_LIST.EMAIL_PERMISSION_STATUS_';

export interface ResponsysPermissionKeeperOptions {
  responsys?: RecipientDirectory & Pick<ResponsysClient, 'mergeProfileMembers'>;
  ledger: Pick<SyncLedger, 'recordWrites' | 'forRecords'>;
  log: Logger;
}

export class ResponsysPermissionKeeper {
  constructor(private readonly options: ResponsysPermissionKeeperOptions) {}

  /** Sets O again where Responsys says I after the person's opt-out; returns those RIIDs. */
  keepOptedOut(riids: readonly string[]): Promise<Set<string>> {
    return this.set(riids, 'O', async () => riids);
  }

  /**
   * Puts the person's I back where the bridge wrote O after the person opted in (`optedInAt` per
   * RIID); returns those RIIDs.
   */
  restoreOptIn(optedInAt: ReadonlyMap<string, Date>): Promise<Set<string>> {
    return this.set([...optedInAt.keys()], 'I', async (riids) => {
      const entries = await this.options.ledger.forRecords(riids);
      const ours = hashValue('O');
      return riids.filter((riid) =>
        entries.some(
          (entry) =>
            entry.recordKey === riid &&
            entry.direction === 'salesforce_to_responsys' &&
            entry.target === PERMISSION_TARGET &&
            entry.valueHash === ours &&
            entry.writtenAt.getTime() >= optedInAt.get(riid)!.getTime(),
        ),
      );
    });
  }

  private async set(
    riids: readonly string[],
    status: 'I' | 'O',
    candidates: (riids: string[]) => Promise<readonly string[]>,
  ): Promise<Set<string>> {
    const fixed = new Set<string>();
    const { responsys, ledger, log } = this.options;
    if (!responsys || riids.length === 0) return fixed;
    try {
      const wanted = await candidates([...riids]);
      if (wanted.length === 0) return fixed;
      const members = await responsys.retrieveProfileMembers([...wanted], {
        by: 'RIID_',
        fields: ['EMAIL_PERMISSION_STATUS_'],
      });
      const wrong = wanted.filter((riid) => {
        const current = members.byId.get(riid)?.[0]?.EMAIL_PERMISSION_STATUS_;
        return current !== undefined && current !== null && current !== status;
      });
      if (wrong.length === 0) return fixed;
      const outcomes = await responsys.mergeProfileMembers(
        wrong.map((riid) => ({ RIID_: riid, EMAIL_PERMISSION_STATUS_: status })),
        {
          matchColumn: 'RIID_',
          insertOnNoMatch: false,
          defaultPermissionStatus: status === 'O' ? 'OPTOUT' : 'OPTIN',
        },
      );
      outcomes.forEach((outcome, index) => {
        if (outcome.ok) fixed.add(wrong[index]!);
      });
      await ledger.recordWrites(
        'salesforce_to_responsys',
        [...fixed].map((riid) => ({ recordKey: riid, target: PERMISSION_TARGET, value: status })),
      );
      if (fixed.size > 0) {
        log.warn(
          { riids: [...fixed] },
          status === 'O'
            ? 'recipients opted in again in Responsys since their opt-out: set back to O'
            : "recipients set to O by the bridge after their own opt-in: the person's I is back",
        );
      }
    } catch (error) {
      log.warn({ err: error }, `could not check permission statuses in Responsys: ${errorMessage(error)}`);
    }
    return fixed;
  }
}
