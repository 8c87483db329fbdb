import type { Clock } from '../../shared/clock.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import {
  parseProgramRoutes,
  PROGRAM_ROUTE_FIELDS,
  PROGRAM_ROUTE_OBJECT,
  type ProgramRoute,
  type RouteProblem,
} from './routes.js';

// The program routes currently in force: read from Salesforce custom metadata, checked against the
// custom events Responsys defines, kept in memory and read again every few minutes (admins change
// them in Setup without restarting the bridge). When a reload fails, the last good routes stay.

export interface RouteMetadataReader {
  query(soql: string): Promise<Array<Record<string, unknown>>>;
}

export interface CustomEventDirectory {
  listCustomEvents(): Promise<Array<{ eventName: string }>>;
}

export interface ProgramRouteCatalogOptions {
  salesforce: RouteMetadataReader;
  /** when given, routes naming an event Responsys does not define are reported and left out */
  responsys?: CustomEventDirectory;
  refreshMs: number;
  logger: Logger;
  clock: Clock;
}

export interface RouteCatalogState {
  routes: ProgramRoute[];
  problems: RouteProblem[];
  loadedAt: Date | null;
  lastError: string | null;
}

export class ProgramRouteCatalog {
  private state: RouteCatalogState = { routes: [], problems: [], loadedAt: null, lastError: null };
  private loading: Promise<void> | undefined;
  private reportedProblems = '';

  constructor(private readonly options: ProgramRouteCatalogOptions) {}

  /** The active, valid routes (loaded on first use, reloaded when older than the refresh period). */
  async routes(): Promise<ProgramRoute[]> {
    const loadedAt = this.state.loadedAt?.getTime();
    const stale =
      loadedAt === undefined || this.options.clock.now().getTime() - loadedAt >= this.options.refreshMs;
    if (stale) {
      try {
        await this.refresh();
      } catch (error) {
        // Without any routes loaded yet, the caller cannot decide: let it retry the record later.
        if (this.state.loadedAt === null) throw error;
      }
    }
    return this.state.routes;
  }

  describe(): RouteCatalogState {
    return { ...this.state, routes: [...this.state.routes], problems: [...this.state.problems] };
  }

  /** Reads the routes now (concurrent callers share one read). */
  refresh(): Promise<void> {
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    const { logger } = this.options;
    let records: Array<Record<string, unknown>>;
    try {
      records = await this.options.salesforce.query(
        `SELECT ${PROGRAM_ROUTE_FIELDS.join(', ')} FROM ${PROGRAM_ROUTE_OBJECT} ORDER BY DeveloperName`,
      );
    } catch (error) {
      this.state = { ...this.state, lastError: errorMessage(error) };
      logger.error({ err: error }, `program routes could not be read: ${errorMessage(error)}`);
      throw error;
    }
    const { routes, problems } = parseProgramRoutes(records);
    let usable = routes;
    if (this.options.responsys && routes.length > 0) {
      try {
        const known = new Set(
          (await this.options.responsys.listCustomEvents()).map((event) => event.eventName.toUpperCase()),
        );
        usable = routes.filter((route) => {
          if (known.has(route.eventName.toUpperCase())) return true;
          problems.push({
            route: route.name,
            problem: `Responsys defines no custom event named ${route.eventName}`,
          });
          return false;
        });
      } catch (error) {
        // Responsys unreachable: keep the routes; a wrong event name then fails at the call.
        logger.warn({ err: error }, `custom events could not be checked: ${errorMessage(error)}`);
      }
    }
    this.state = { routes: usable, problems, loadedAt: this.options.clock.now(), lastError: null };
    const signature = JSON.stringify(problems);
    if (signature !== this.reportedProblems) {
      this.reportedProblems = signature;
      for (const entry of problems) {
        logger.error({ route: entry.route }, `program route ${entry.route} is not used: ${entry.problem}`);
      }
    }
    logger.debug({ routes: usable.map((route) => route.name) }, `${usable.length} program route(s) loaded`);
  }
}
