import {
  InboundFileReader,
  type FileLocation,
  type FileReadResult,
  type ReadyMarkers,
  type AfterRead,
} from '../../responsys/files/index.js';
import type { Clock } from '../../shared/clock.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { Store } from '../../store/store.js';
import { documentedFeedColumns, engagementFeedOf, engagementFileOrder } from './feeds.js';
import type { EngagementIntake } from './intake.js';

// Reads the Contact Event Data folder: every ready file once, chunk by chunk into the store (see
// intake.ts), on a timer in the one process that holds the `responsys-event-files` lease, and on
// demand. Two reads never overlap in one process.

export const EVENT_FILES_SOURCE = 'responsys-ced';

export interface EventFilePollerOptions {
  location: FileLocation;
  store: Store;
  intake: EngagementIntake;
  readyMarkers: ReadyMarkers;
  settleSeconds: number;
  afterRead: AfterRead;
  pollSeconds: number;
  logger: Logger;
  clock: Clock;
  /** after a file was read (e.g. start writing its events to Salesforce) */
  onFileRead?(result: FileReadResult): void;
}

export interface PollReport {
  files: FileReadResult[];
  events: number;
  duplicates: number;
  rejected: number;
}

export class EventFilePoller {
  readonly reader: InboundFileReader;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<PollReport> | undefined;
  private abort = new AbortController();
  private readonly log: Logger;

  constructor(private readonly options: EventFilePollerOptions) {
    this.log = options.logger.child({ component: 'event-files' });
    this.reader = new InboundFileReader({
      location: options.location,
      store: options.store,
      source: EVENT_FILES_SOURCE,
      accept: (file) => engagementFeedOf(file) !== undefined,
      order: engagementFileOrder,
      documentedColumns: (file) => documentedFeedColumns[engagementFeedOf(file) ?? ''],
      readyMarkers: options.readyMarkers,
      settleMs: options.settleSeconds * 1000,
      afterRead: options.afterRead,
      logger: options.logger,
      clock: options.clock,
    });
  }

  /** Reads what is ready now (joins a read already running). */
  readNow(): Promise<PollReport> {
    this.running ??= this.readReadyFiles().finally(() => (this.running = undefined));
    return this.running;
  }

  private async readReadyFiles(): Promise<PollReport> {
    const report: PollReport = { files: [], events: 0, duplicates: 0, rejected: 0 };
    const signal = this.abort.signal;
    for (const file of await this.reader.readyFiles()) {
      if (signal.aborted) break;
      const feed = engagementFeedOf(file)!;
      const result = await this.reader.readFile(
        file,
        async (chunk) => {
          const stored = await this.options.intake.ingestFileChunk(chunk, feed);
          report.events += stored.added + stored.merged.length;
          report.duplicates += stored.duplicates;
          report.rejected += stored.rejected;
        },
        signal,
      );
      report.files.push(result);
      this.options.onFileRead?.(result);
      if (result.status === 'stopped') break;
    }
    return report;
  }

  /** Polls every `pollSeconds` until stopped. */
  start(): void {
    if (this.timer) return;
    this.abort = new AbortController();
    const tick = () => {
      void this.readNow()
        .catch((error: unknown) =>
          this.log.warn({ err: error }, `reading event files failed: ${errorMessage(error)}`),
        )
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, this.options.pollSeconds * 1000);
        });
    };
    this.timer = setTimeout(tick, 0);
    this.log.info(
      { location: this.options.location.description, pollSeconds: this.options.pollSeconds },
      'reading Contact Event Data files',
    );
  }

  /** Stops polling; a read in progress stops after its current chunk. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await this.running?.catch(() => undefined);
  }
}
