import { FaultPlan } from '../shared/faults.js';
import { seededRandom, type Random } from '../shared/random.js';
import { parseAccountDefinition, type AccountDefinition } from './account/definitions.js';
import { defaultAccountDefinition, seedDemoData } from './account/demo.js';
import { CedExporter, resolveCedOptions } from './engagement/cedFiles.js';
import type { EngagementEvent } from './engagement/events.js';
import { RateLimiter } from './http/rateLimits.js';
import { TokenRegistry } from './auth/tokens.js';
import { NotificationHub, resolveNotificationOptions } from './notifications/hub.js';
import {
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_PASSWORD,
  DEFAULT_TOKEN_TTL_MS,
  DEFAULT_USERNAME,
  defaultQuirks,
  type ResponsysEmulatorOptions,
  type ResponsysQuirks,
} from './options.js';
import { AccountState } from './store/accountState.js';

/**
 * Everything one emulated Responsys account holds and every server-side policy, shared by the HTTP
 * routes, the SFTP server and the in-process control handle.
 */
export class ResponsysCore {
  readonly username: string;
  readonly password: string;
  readonly maxPayloadBytes: number;
  readonly latencyMs: number;
  readonly quirks: ResponsysQuirks;
  readonly now: () => number;
  readonly tokens: TokenRegistry;
  readonly rateLimiter: RateLimiter;
  readonly faults: FaultPlan;
  readonly exporter: CedExporter;
  readonly notifications: NotificationHub;
  /** Requests per API function since the last reset, whatever their outcome. */
  readonly calls = new Map<string, number>();
  /** Requests per API function answered API_LIMIT_EXCEEDED. */
  readonly throttled = new Map<string, number>();
  readonly engagement: EngagementEvent[] = [];
  account: AccountState;
  /** The emulator's own base URL, returned as `endPoint` at login. */
  baseUrl = '';
  private readonly definition: AccountDefinition;
  private readonly seed: number;
  private random: Random;
  private demoData: boolean;
  private nextEngagementId = 1;

  constructor(
    options: ResponsysEmulatorOptions,
    readonly eventFilesDir: string,
  ) {
    this.seed = options.seed ?? 1;
    this.random = seededRandom(this.seed);
    this.now = options.now ?? Date.now;
    this.username = options.username ?? DEFAULT_USERNAME;
    this.password = options.password ?? DEFAULT_PASSWORD;
    this.maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    this.latencyMs = options.latencyMs ?? 0;
    this.quirks = { ...defaultQuirks, ...options.quirks };
    const definition = parseAccountDefinition(options.account ?? defaultAccountDefinition());
    this.definition = options.accountId ? { ...definition, accountId: options.accountId } : definition;
    this.demoData = options.demoData ?? false;
    this.tokens = new TokenRegistry(options.tokenTtlMs ?? DEFAULT_TOKEN_TTL_MS, this.now, this.random);
    this.rateLimiter = new RateLimiter(
      options.rateLimits ?? {},
      options.rateLimitWindowMs ?? 60_000,
      this.now,
    );
    this.faults = new FaultPlan(this.seed);
    this.account = this.buildAccount();
    this.exporter = new CedExporter(
      eventFilesDir,
      resolveCedOptions(options.ced),
      this.now,
      () => this.account,
      () => this.engagement,
    );
    this.notifications = new NotificationHub(resolveNotificationOptions(options.notifications), this.now);
  }

  /**
   * Back to the starting state: account objects and (optionally) demo data, no faults, fresh rate
   * windows and counters, no engagement, callbacks or subscriptions. Issued tokens stay valid, so a
   * client that is already logged in carries on.
   */
  reset(options: { demoData?: boolean } = {}): void {
    if (options.demoData !== undefined) this.demoData = options.demoData;
    this.random = seededRandom(this.seed);
    this.account = this.buildAccount();
    this.faults.clear();
    this.rateLimiter.resetWindows();
    this.calls.clear();
    this.throttled.clear();
    this.engagement.length = 0;
    this.nextEngagementId = 1;
    this.exporter.reset();
    this.notifications.reset();
  }

  countCall(api: string): void {
    this.calls.set(api, (this.calls.get(api) ?? 0) + 1);
  }

  countThrottled(api: string): void {
    this.throttled.set(api, (this.throttled.get(api) ?? 0) + 1);
  }

  allocateEngagementId(): number {
    return this.nextEngagementId++;
  }

  get accountId(): string {
    return this.account.accountId;
  }

  private buildAccount(): AccountState {
    const account = new AccountState(this.definition, this.random);
    if (this.demoData) seedDemoData(account, this.now());
    return account;
  }
}
