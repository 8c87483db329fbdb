import type { AccountDefinition, CampaignDefinition, CustomEventDefinition } from '../account/definitions.js';
import type { Random } from '../../shared/random.js';
import { ProfileList } from './profileList.js';
import { SupplementalTable } from './supplementalTable.js';

/** A recipient entering a program through a custom event: what a test asserts on. */
export interface ProgramEntry {
  eventName: string;
  programName: string;
  listName: string;
  riid: number;
  customerId: string | null;
  emailAddress: string | null;
  optionalData: Record<string, string>;
  enteredAt: string;
}

/** A triggered email send (`POST /campaigns/{name}/email`) accepted for a recipient. */
export interface EmailTrigger {
  campaignName: string;
  campaignId: number;
  riid: number;
  emailAddress: string | null;
  optionalData: Record<string, string>;
  triggeredAt: string;
}

/** Everything an account holds; rebuilt from its definition on reset. */
export class AccountState {
  readonly lists = new Map<string, ProfileList>();
  readonly tables = new Map<string, SupplementalTable>();
  readonly events = new Map<string, CustomEventDefinition>();
  readonly campaigns = new Map<string, CampaignDefinition>();
  readonly programEntries: ProgramEntry[] = [];
  readonly emailTriggers: EmailTrigger[] = [];
  private nextRiid: number;

  constructor(
    readonly definition: AccountDefinition,
    random: Random,
  ) {
    for (const list of definition.profileLists) this.lists.set(list.name, new ProfileList(list));
    for (const table of definition.supplementalTables) {
      this.tables.set(tableKey(table.folderName, table.name), new SupplementalTable(table));
    }
    for (const event of definition.customEvents) this.events.set(event.eventName, event);
    for (const campaign of definition.campaigns) this.campaigns.set(campaign.name, campaign);
    // Real RIIDs are 9-digit numbers; the start is drawn from the seed so runs are reproducible.
    this.nextRiid = 100_000_000 + Math.floor(random() * 800_000_000);
  }

  get accountId(): string {
    return this.definition.accountId;
  }

  allocateRiid(): number {
    return this.nextRiid++;
  }

  table(folderName: string, tableName: string): SupplementalTable | undefined {
    return this.tables.get(tableKey(folderName, tableName));
  }

  campaignById(campaignId: number): CampaignDefinition | undefined {
    for (const campaign of this.campaigns.values()) if (campaign.campaignId === campaignId) return campaign;
    return undefined;
  }
}

function tableKey(folderName: string, tableName: string): string {
  return `${folderName}\u0000${tableName}`;
}
