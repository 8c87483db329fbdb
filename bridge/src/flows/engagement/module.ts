import { errorMessage } from '../../shared/errors.js';
import type { BridgeContext, BridgeModule } from '../../module.js';
import { openFileLocation } from '../../responsys/files/index.js';
import { registerEngagementCommands, EngagementAdmin, engagementAdminRouter } from './admin.js';
import { EngagementApplier, type EngagementSettings, type PeopleCache } from './apply.js';
import { EngagementEventStore } from './event-store.js';
import { EventFilePoller } from './file-poller.js';
import { purgeEngagement, refreshDecayedScores } from './housekeeping.js';
import { EngagementIntake } from './intake.js';
import { engagementMigrations } from './migrations.js';
import {
  APPLY_ENGAGEMENT_TASK,
  PURGE_ENGAGEMENT_TASK,
  READ_EVENT_FILES_TASK,
  REFRESH_SCORES_TASK,
} from './names.js';
import type { ScoreSettings } from './scoring.js';
import { CALLBACK_PATH, callbackReceiver } from './webhook.js';

// F2: email engagement from Responsys onto the Lead and Contact timeline. Intake (Contact Event Data
// files, read by the one process holding the `responsys-event-files` lease; Event Notification
// callbacks on a public route) stores events first; the `f2-apply-engagement` task writes them to
// Salesforce in large batches, started after each intake and every minute for retries.

declare module '../../module.js' {
  interface BridgeServices {
    engagementIntake: EngagementIntake;
  }
}

const FILES_LEASE = 'responsys-event-files';
/** Decayed scores are rewritten once a day. */
const SCORE_REFRESH_SCHEDULE = '15 3 * * *';

export function engagementSettingsFrom(context: Pick<BridgeContext, 'config'>): EngagementSettings {
  const { engagement } = context.config.inbound;
  return {
    opens: engagement.opens,
    score: scoreSettingsFrom(context),
    batchSize: engagement.batchSize,
    maxAttempts: context.config.queue.maxAttempts,
  };
}

export function scoreSettingsFrom(context: Pick<BridgeContext, 'config'>): ScoreSettings {
  const { engagement } = context.config.inbound;
  return { weights: engagement.scoreWeights, halfLifeDays: engagement.scoreHalfLifeDays };
}

/** Starts the apply task soon (one run at a time; a request while one waits is absorbed). */
export function applySoon(context: Pick<BridgeContext, 'queue' | 'logger'>): void {
  context.queue
    .runTask(APPLY_ENGAGEMENT_TASK)
    .catch((error: unknown) =>
      context.logger.warn({ err: error }, `could not start ${APPLY_ENGAGEMENT_TASK}: ${errorMessage(error)}`),
    );
}

function requireSalesforce(context: BridgeContext) {
  if (!context.services.has('salesforce') || !context.services.has('identity')) {
    throw new Error(
      'the Salesforce connector and identity matching are not running (see the log of the start)',
    );
  }
  return { salesforce: context.services.get('salesforce'), identity: context.services.get('identity') };
}

/** The file poller of each running bridge (several may run in one process, in tests). */
const pollers = new WeakMap<BridgeContext, EventFilePoller>();

export const engagementModule: BridgeModule = {
  name: 'engagement',
  migrations: engagementMigrations,
  register(context) {
    const { config, queue, store, logger, clock, metrics } = context;
    const intake = new EngagementIntake({ store, queue, metrics, logger, clock });
    context.services.provide('engagementIntake', intake);

    context.http.mountPublic(
      CALLBACK_PATH,
      callbackReceiver({
        intake,
        rejects: () => new EngagementEventStore(store.db),
        credentials: config.inbound.callbacks,
        bodyLimit: config.http.bodyLimit,
        logger,
        onAccepted: (result) => {
          if (result.accepted > 0) applySoon(context);
        },
      }),
    );

    // who recently seen people are (see PeopleCache), kept across runs of the apply task
    const people: PeopleCache = new Map();
    queue.defineTask({
      name: APPLY_ENGAGEMENT_TASK,
      schedule: '* * * * *',
      run: async (_data, task) => {
        const { salesforce, identity } = requireSalesforce(context);
        const applier = new EngagementApplier({
          store,
          salesforce,
          identity,
          recipients: context.services.has('responsys') ? context.services.get('responsys') : undefined,
          people,
          queue,
          settings: engagementSettingsFrom(context),
          metrics,
          logger,
          clock,
        });
        return applier.run(task.signal);
      },
    });

    const location = config.responsys.eventFiles;
    if (location) {
      const filePoller = new EventFilePoller({
        location: openFileLocation(location, {
          privateKeyFile: config.inbound.eventFiles.privateKeyFile,
          hostKeyFingerprint: config.inbound.eventFiles.hostKey,
          logger,
        }),
        store,
        intake,
        readyMarkers: config.inbound.eventFiles.readyMarkers,
        settleSeconds: config.inbound.eventFiles.settleSeconds,
        afterRead: config.inbound.eventFiles.afterRead,
        pollSeconds: config.inbound.eventFiles.pollSeconds,
        logger,
        clock,
        onFileRead: (result) => {
          if (result.rows > 0) applySoon(context);
        },
      });
      pollers.set(context, filePoller);
      queue.defineTask({
        name: READ_EVENT_FILES_TASK,
        run: async () => {
          const report = await filePoller.readNow();
          return {
            files: report.files.map((file) => ({ file: file.file, status: file.status, rows: file.rows })),
            events: report.events,
          };
        },
      });
      context.onShutdown(async () => {
        await filePoller.stop();
        await filePoller.reader.location.close();
      });
    } else {
      logger.info(
        'RESPONSYS_EVENT_FILES is not set: engagement comes from Event Notification callbacks only',
      );
    }

    queue.defineTask({
      name: PURGE_ENGAGEMENT_TASK,
      schedule:
        config.inbound.engagement.retentionDays > 0 ? config.inbound.engagement.purgeSchedule : undefined,
      run: async (_data, task) =>
        purgeEngagement({
          store,
          salesforce: requireSalesforce(context).salesforce,
          retentionDays: config.inbound.engagement.retentionDays,
          clock,
          logger,
          signal: task.signal,
        }),
    });
    queue.defineTask({
      name: REFRESH_SCORES_TASK,
      schedule: config.inbound.engagement.scoreHalfLifeDays > 0 ? SCORE_REFRESH_SCHEDULE : undefined,
      run: async (_data, task) =>
        refreshDecayedScores({
          store,
          salesforce: requireSalesforce(context).salesforce,
          score: scoreSettingsFrom(context),
          clock,
          logger,
          signal: task.signal,
        }),
    });

    context.http.mountAdmin('/engagement', engagementAdminRouter(new EngagementAdmin(store, queue), queue));
  },
  start(context) {
    const filePoller = pollers.get(context);
    if (!filePoller) return;
    context.leadership.campaign(FILES_LEASE, {
      onElected: () => filePoller.start(),
      onDemoted: () => filePoller.stop(),
    });
  },
  cli(program, cli) {
    registerEngagementCommands(program, cli);
  },
};
