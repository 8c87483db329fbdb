import type { Session } from '../../auth/sessions.js';
import type { UnitOfWork, WriteContext } from '../../data/write-pipeline.js';

// The REST API below `/services/data/vXX.X` as plain functions of a request, so that `/composite`
// and `/composite/batch` can run subrequests through exactly the same handlers as HTTP does.

export interface RestRequest {
  method: string;
  /** Path below the version, e.g. `/sobjects/Lead/00Q...`. */
  path: string;
  /** `62.0` */
  version: string;
  query: Record<string, string>;
  /** Parsed JSON body (or undefined). */
  body: unknown;
  /** Raw body text (CSV uploads; JSON error positions). */
  rawBody: string;
  headers: Record<string, string>;
  session: Session;
  context: WriteContext;
  /** Set when running inside a composite request's transaction. */
  unit?: UnitOfWork;
}

export interface RestResponse {
  status: number;
  body?: unknown;
  /** A non-JSON body (CSV), as text or already encoded as UTF-8. */
  text?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

export type RestHandler = (req: RestRequest, params: Record<string, string>) => RestResponse;

export interface RestRoute {
  method: string;
  segments: string[];
  /** Counted in the per-kind API usage (`sobject.create`, `query`, ...). */
  kind: string;
  /** What the body is: JSON (default), CSV text, or nothing. */
  body: 'json' | 'csv' | 'none';
  handler: RestHandler;
}

export class RestRouter {
  private readonly routes: RestRoute[] = [];

  add(
    method: string,
    pattern: string,
    kind: string,
    handler: RestHandler,
    body: RestRoute['body'] = 'json',
  ): void {
    this.routes.push({ method, segments: pattern.split('/').filter(Boolean), kind, body, handler });
  }

  /** The route for a method and path, or `methods` allowed on that path when only the method differs. */
  match(
    method: string,
    path: string,
  ): { route: RestRoute; params: Record<string, string> } | { allowed: string[] } | undefined {
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    const allowed: string[] = [];
    for (const route of this.routes) {
      if (route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        const seg = route.segments[i]!;
        if (seg.startsWith(':')) params[seg.slice(1)] = parts[i]!;
        else if (seg.toLowerCase() !== parts[i]!.toLowerCase()) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      if (route.method === method) return { route, params };
      allowed.push(route.method);
    }
    return allowed.length ? { allowed } : undefined;
  }
}
