import type { ResponsysEmulator } from '../../../test/emulators/responsys/index.js';
import type { SalesforceEmulator } from '../../../test/emulators/salesforce/index.js';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { newLead, pick, type Random } from './people.js';

// Gentle, realistic activity in sandbox mode, so a newcomer sees records move within a minute:
// - a sales rep enters a new Lead every few seconds (mostly web leads);
// - now and then the rep moves an Opportunity to its next stage, or a Lead opts out of email;
// - Responsys mails the recipients it has: sends, opens, clicks (some on the pricing page), once in
//   a while a bounce, a conversion or an unsubscribe; then it exports the Contact Event Data files.
// Flows add their own activities with `addActivity` (e.g. a marketer editing a profile).

export interface TrafficContext {
  salesforce: SalesforceEmulator;
  responsys: ResponsysEmulator;
  random: Random;
  log: Logger;
}

export interface TrafficActivity {
  name: string;
  /** average pause between two runs (each pause varies by ±30 %) */
  everyMs: number;
  /** the first run comes after this (default everyMs) */
  firstAfterMs?: number;
  run(context: TrafficContext): Promise<void> | void;
}

export interface SandboxTrafficOptions {
  salesforce: SalesforceEmulator;
  responsys: ResponsysEmulator;
  logger: Logger;
  random?: Random;
  /** multiplies every pause (tests use small values) */
  pace?: number;
}

const REP = 'rep@example.com';

export class SandboxTraffic {
  private readonly activities: TrafficActivity[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private started = false;
  private readonly context: TrafficContext;

  constructor(private readonly options: SandboxTrafficOptions) {
    this.context = {
      salesforce: options.salesforce,
      responsys: options.responsys,
      random: options.random ?? Math.random,
      log: options.logger.child({ component: 'sandbox-traffic' }),
    };
    for (const activity of defaultActivities()) this.addActivity(activity);
  }

  /** Adds an activity (before or after start). Names are unique. */
  addActivity(activity: TrafficActivity): void {
    if (this.activities.some((existing) => existing.name === activity.name)) {
      throw new Error(`Sandbox activity "${activity.name}" is added twice`);
    }
    this.activities.push(activity);
    if (this.started) this.schedule(activity, activity.firstAfterMs ?? activity.everyMs);
  }

  activityNames(): string[] {
    return this.activities.map((activity) => activity.name);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const activity of this.activities)
      this.schedule(activity, activity.firstAfterMs ?? activity.everyMs);
  }

  async stop(): Promise<void> {
    this.started = false;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.running]);
  }

  /** Runs one activity now (tests, and `everyMs`-independent demos). */
  async runNow(name: string): Promise<void> {
    const activity = this.activities.find((candidate) => candidate.name === name);
    if (!activity) throw new Error(`No sandbox activity "${name}"`);
    await activity.run(this.context);
  }

  private schedule(activity: TrafficActivity, delayMs: number): void {
    const pace = this.options.pace ?? 1;
    const jitter = 0.7 + this.context.random() * 0.6;
    const timer = setTimeout(
      () => {
        if (!this.started) return;
        const run = (async () => {
          try {
            await activity.run(this.context);
          } catch (error) {
            this.context.log.warn(
              { activity: activity.name },
              `sandbox activity failed: ${errorMessage(error)}`,
            );
          }
        })();
        this.running.add(run);
        void run.finally(() => {
          this.running.delete(run);
          if (this.started) this.schedule(activity, activity.everyMs);
        });
      },
      Math.round(delayMs * pace * jitter),
    );
    timer.unref();
    this.timers.set(activity.name, timer);
  }
}

export function defaultActivities(): TrafficActivity[] {
  let leadSerial = 0;
  return [
    {
      name: 'rep-creates-lead',
      everyMs: 5_000,
      firstAfterMs: 2_000,
      run({ salesforce, random, log }) {
        leadSerial += 1;
        const lead = newLead(random, (Date.now() % 100_000) * 10 + leadSerial);
        const [id] = salesforce.insert('Lead', [{ ...lead, Status: 'Open - Not Contacted' }], {
          asUser: REP,
        });
        log.info(
          { leadId: id, email: lead.Email, leadSource: lead.LeadSource },
          `sandbox: the rep entered a new Lead, ${lead.FirstName} ${lead.LastName} of ${lead.Company} (${lead.LeadSource})`,
        );
      },
    },
    {
      name: 'rep-moves-opportunity',
      everyMs: 25_000,
      firstAfterMs: 12_000,
      run({ salesforce, random, log }) {
        const open = salesforce.query<{ Id: string; Name: string; StageName: string }>(
          'SELECT Id, Name, StageName FROM Opportunity WHERE IsClosed = false',
        );
        if (open.length === 0) return;
        const opportunity = pick(random, open);
        const next = NEXT_STAGE[opportunity.StageName] ?? 'Proposal/Price Quote';
        salesforce.update([{ Id: opportunity.Id, StageName: next }], { asUser: REP });
        log.info(
          { opportunityId: opportunity.Id, from: opportunity.StageName, to: next },
          `sandbox: the rep moved "${opportunity.Name}" from ${opportunity.StageName} to ${next}`,
        );
      },
    },
    {
      name: 'lead-opts-out',
      everyMs: 60_000,
      firstAfterMs: 45_000,
      run({ salesforce, random, log }) {
        const leads = salesforce.query<{ Id: string; Email: string }>(
          'SELECT Id, Email FROM Lead WHERE HasOptedOutOfEmail = false AND IsConverted = false AND Email != null',
        );
        if (leads.length === 0) return;
        const lead = pick(random, leads);
        salesforce.update([{ Id: lead.Id, HasOptedOutOfEmail: true }], { asUser: REP });
        log.info(
          { leadId: lead.Id, email: lead.Email },
          `sandbox: ${lead.Email} asked the rep to stop emails (opt-out)`,
        );
      },
    },
    {
      name: 'responsys-engagement',
      everyMs: 8_000,
      firstAfterMs: 6_000,
      async run({ responsys, random, log }) {
        const members = (
          responsys.control.state(['lists']).lists?.[responsys.profileList.name]?.members ?? []
        ).filter((member) => member.EMAIL_PERMISSION_STATUS_ === 'I' && member.RIID_);
        if (members.length === 0) return;
        const events: Array<Parameters<ResponsysEmulator['control']['injectEngagement']>[0][number]> = [];
        const campaign = pick(random, CAMPAIGNS);
        for (let n = 0; n < Math.min(3, members.length); n += 1) {
          const member = pick(random, members);
          const recipient = { riid: Number(member.RIID_) };
          events.push({ type: 'sent', recipient, campaign });
          const roll = random();
          if (roll < 0.04) {
            events.push({
              type: 'bounced',
              recipient,
              campaign,
              bounce: { type: random() < 0.5 ? 'hard' : 'soft' },
            });
            continue;
          }
          if (roll < 0.06) {
            events.push({ type: 'opted_out', recipient, reason: 'Unsubscribed from the email footer' });
            continue;
          }
          if (roll < 0.7) events.push({ type: 'opened', recipient, campaign });
          if (roll < 0.35) {
            const pricing = random() < 0.4;
            events.push({
              type: 'clicked',
              recipient,
              campaign,
              link: pricing
                ? { url: 'https://www.example.com/pricing', name: 'See plans and pricing' }
                : { url: 'https://www.example.com/blog/whats-new', name: 'Read the story' },
            });
          }
          if (roll < 0.08) {
            events.push({
              type: 'converted',
              recipient,
              campaign,
              order: {
                id: `ORD-${Math.floor(random() * 90_000) + 10_000}`,
                total: (49 + Math.round(random() * 200)).toFixed(2),
              },
            });
          }
        }
        responsys.control.injectEngagement(events);
        const files = await responsys.control.exportEventFiles();
        log.info(
          { events: events.length, files: files.length },
          `sandbox: Responsys recorded ${events.length} email event(s) for ${campaign} and exported them`,
        );
      },
    },
  ];
}

const CAMPAIGNS = ['SF_Welcome_Series', 'SF_Monthly_Newsletter', 'SF_Pricing_Offer'];

const NEXT_STAGE: Record<string, string> = {
  Prospecting: 'Qualification',
  Qualification: 'Needs Analysis',
  'Needs Analysis': 'Value Proposition',
  'Value Proposition': 'Id. Decision Makers',
  'Id. Decision Makers': 'Perception Analysis',
  'Perception Analysis': 'Proposal/Price Quote',
  'Proposal/Price Quote': 'Negotiation/Review',
  'Negotiation/Review': 'Closed Won',
};
