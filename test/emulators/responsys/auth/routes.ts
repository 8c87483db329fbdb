import { Router } from 'express';
import type { ResponsysCore } from '../core.js';
import { apiRoute } from '../http/route.js';
import { errors } from '../http/wire.js';

/**
 * `POST /rest/api/v1.3/auth/token`: password login and token refresh, form-encoded. Credentials are
 * read from the form body only (never the query string). The refresh answer is the one recorded with
 * plain `application/json` as its content type.
 */
export function authRoutes(core: ResponsysCore): Router {
  const router = Router();
  router.post(
    '/rest/api/v1.3/auth/token',
    apiRoute(core, 'none', ({ req }) => {
      const form: Record<string, unknown> = req.is('application/x-www-form-urlencoded')
        ? (req.body ?? {})
        : {};
      const authType = form.auth_type;
      if (authType === 'password') {
        if (form.user_name !== core.username || form.password !== core.password)
          throw errors.invalidCredentials();
        const token = core.tokens.issue(core.username);
        return { body: { authToken: token.authToken, issuedAt: token.issuedAt, endPoint: core.baseUrl } };
      }
      if (authType === 'token') {
        const current = core.tokens.validate(req.get('authorization'));
        if (!current) throw errors.invalidToken();
        const token = core.tokens.issue(current.user);
        if (core.quirks.refreshRevokesOldToken) core.tokens.revoke(current.authToken);
        return {
          body: { authToken: token.authToken, issuedAt: token.issuedAt, endPoint: core.baseUrl },
          contentType: 'application/json',
        };
      }
      throw errors.invalidParameter(
        typeof authType === 'string' && authType !== ''
          ? `Unsupported auth_type ${authType}`
          : 'auth_type is required in the form body',
      );
    }),
  );

  router.get(
    '/rest/api/ratelimit',
    apiRoute(core, 'ratelimit', () => ({
      body: core.rateLimiter.describe().map((f) => ({
        limit: f.limit,
        api: f.api,
        resource_path: f.resource_path,
        verb: f.verb,
        description: f.description,
      })),
    })),
  );
  return router;
}
