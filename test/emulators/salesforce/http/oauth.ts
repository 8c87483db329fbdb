import { createHmac } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { XMLParser } from 'fast-xml-parser';
import { checkJwtBearer, publicKeyFromCertificate, type OAuthErrorBody } from '../auth/jwt-bearer.js';
import type { OrgUser } from '../auth/directory.js';
import type { Session } from '../auth/sessions.js';
import type { SalesforceOrg } from '../org.js';

// The OAuth 2.0 token endpoint (JWT bearer, client credentials, username-password), token
// revocation, the identity URL and userinfo, and the legacy SOAP login jsforce uses when no client id
// is configured. None of these count against the daily API allocation.

const LOGIN_AUDIENCES = ['https://login.salesforce.com', 'https://test.salesforce.com'];

function oauthError(res: Response, status: number, body: OAuthErrorBody): void {
  res.status(status).json(body);
}

export function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization ?? '';
  const m = /^(?:Bearer|OAuth)\s+(.+)$/i.exec(header.trim());
  return m?.[1]?.trim();
}

function tokenResponse(org: SalesforceOrg, session: Session, clientSecret: string) {
  const id = `${org.url}/id/${org.orgId}/${session.userId}`;
  const issuedAt = String(session.issuedAt);
  return {
    access_token: session.token,
    signature: createHmac('sha256', clientSecret)
      .update(id + issuedAt)
      .digest('base64'),
    scope: 'api',
    instance_url: org.url,
    id,
    token_type: 'Bearer',
    issued_at: issuedAt,
  };
}

function identity(org: SalesforceOrg, user: OrgUser, version = '62.0') {
  const base = `${org.url}/services/data/v${version}`;
  return {
    id: `${org.url}/id/${org.orgId}/${user.id}`,
    asserted_user: true,
    user_id: user.id,
    organization_id: org.orgId,
    username: user.username,
    nick_name: user.username.split('@')[0],
    display_name: user.name,
    email: user.email,
    email_verified: true,
    first_name: user.firstName,
    last_name: user.lastName,
    timezone: 'GMT',
    photos: { picture: null, thumbnail: null },
    addr_street: null,
    addr_city: null,
    addr_state: null,
    addr_country: null,
    addr_zip: null,
    mobile_phone: null,
    mobile_phone_verified: false,
    is_lightning_login_user: false,
    status: { created_date: null, body: null },
    urls: {
      enterprise: `${org.url}/services/Soap/c/{version}/${org.orgId}`,
      metadata: `${org.url}/services/Soap/m/{version}/${org.orgId}`,
      partner: `${org.url}/services/Soap/u/{version}/${org.orgId}`,
      rest: `${org.url}/services/data/v{version}/`,
      sobjects: `${org.url}/services/data/v{version}/sobjects/`,
      search: `${org.url}/services/data/v{version}/search/`,
      query: `${org.url}/services/data/v{version}/query/`,
      recent: `${org.url}/services/data/v{version}/recent/`,
      profile: `${org.url}/${user.id}`,
      custom_domain: org.url,
    },
    active: user.isActive,
    user_type: 'STANDARD',
    language: 'en_US',
    locale: 'en_US',
    utcOffset: 0,
    last_modified_date: new Date(org.clock.nowMs()).toISOString().replace('Z', '+0000'),
    is_app_installed: true,
    rest_base: base,
  };
}

function soapFault(res: Response, code: string, message: string): void {
  res
    .status(500)
    .type('text/xml')
    .send(
      `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>sf:${code}</faultcode><faultstring>${code}: ${message}</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>${code}</sf:exceptionCode><sf:exceptionMessage>${message}</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`,
    );
}

const soapParser = new XMLParser({ removeNSPrefix: true, parseTagValue: false });

function escapeXml(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );
}

export function oauthRouter(org: SalesforceOrg): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '1mb' });
  const app = org.options.connectedApp;
  const publicKey = publicKeyFromCertificate(app.certificatePem);

  router.post('/services/oauth2/token', form, (req, res) => {
    const params = {
      ...(req.query as Record<string, string>),
      ...((req.body ?? {}) as Record<string, string>),
    };
    const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (basic) {
      const [id, secret] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
      params.client_id ??= decodeURIComponent(id ?? '');
      params.client_secret ??= decodeURIComponent(secret ?? '');
    }
    const grant = params.grant_type;
    const issue = (user: OrgUser, grantType: Session['grant']) => {
      const session = org.sessions.create(user.id, user.username, grantType, app.clientId);
      res.status(200).json(tokenResponse(org, session, app.clientSecret));
    };
    const checkClient = (requireSecret: boolean): boolean => {
      if (params.client_id !== app.clientId) {
        oauthError(res, 400, { error: 'invalid_client_id', error_description: 'client identifier invalid' });
        return false;
      }
      if (
        (requireSecret || params.client_secret !== undefined) &&
        params.client_secret !== app.clientSecret
      ) {
        oauthError(res, 400, { error: 'invalid_client', error_description: 'invalid client credentials' });
        return false;
      }
      return true;
    };
    switch (grant) {
      case 'urn:ietf:params:oauth:grant-type:jwt-bearer': {
        const check = checkJwtBearer(params.assertion ?? '', {
          clientId: app.clientId,
          publicKey,
          audiences: [...LOGIN_AUDIENCES, org.url],
          nowSeconds: Math.floor(org.clock.nowMs() / 1000),
        });
        if (!check.ok) return oauthError(res, check.status, check.body);
        const user = org.directory.findByUsername(check.claims.sub);
        if (!user || !user.isActive) {
          return oauthError(res, 400, {
            error: 'invalid_grant',
            error_description: "user hasn't approved this consumer",
          });
        }
        return issue(user, 'jwt-bearer');
      }
      case 'client_credentials': {
        if (!checkClient(true)) return;
        const user = app.runAsUsername ? org.directory.findByUsername(app.runAsUsername) : undefined;
        if (!user) {
          return oauthError(res, 400, {
            error: 'invalid_grant',
            error_description: 'no client credentials user enabled',
          });
        }
        return issue(user, 'client_credentials');
      }
      case 'password': {
        if (!checkClient(true)) return;
        const user = org.directory.checkPassword(params.username ?? '', params.password ?? '');
        if (!user)
          return oauthError(res, 400, {
            error: 'invalid_grant',
            error_description: 'authentication failure',
          });
        return issue(user, 'password');
      }
      case 'refresh_token':
        return oauthError(res, 400, {
          error: 'invalid_grant',
          error_description: 'expired access/refresh token',
        });
      default:
        return oauthError(res, 400, {
          error: 'unsupported_grant_type',
          error_description: 'grant type not supported',
        });
    }
  });

  router.post('/services/oauth2/revoke', form, (req, res) => {
    const token =
      (req.body as Record<string, string> | undefined)?.token ?? (req.query.token as string | undefined);
    if (!token || !org.sessions.revoke(token)) {
      return oauthError(res, 400, {
        error: 'unsupported_token_type',
        error_description: 'this token type is not supported',
      });
    }
    res.status(200).end();
  });

  const authenticated = (req: Request, res: Response): OrgUser | undefined => {
    const token = bearerToken(req);
    const session = token ? org.sessions.use(token) : undefined;
    const user = session ? org.directory.byId(session.userId) : undefined;
    if (!user) {
      res.status(403).type('text/plain').send('Bad_OAuth_Token');
      return undefined;
    }
    return user;
  };

  router.get('/id/:orgId/:userId', (req, res) => {
    const user = authenticated(req, res);
    if (!user) return;
    if (req.params.orgId !== org.orgId || req.params.userId !== user.id) {
      res.status(403).type('text/plain').send('Bad_Id');
      return;
    }
    res.json(identity(org, user));
  });

  router.get('/services/oauth2/userinfo', (req, res) => {
    const user = authenticated(req, res);
    if (!user) return;
    res.json({
      sub: `${org.url}/id/${org.orgId}/${user.id}`,
      user_id: user.id,
      organization_id: org.orgId,
      preferred_username: user.username,
      nickname: user.username.split('@')[0],
      name: user.name,
      email: user.email,
      email_verified: true,
      given_name: user.firstName,
      family_name: user.lastName,
      zoneinfo: 'GMT',
      active: user.isActive,
      locale: 'en_US',
      language: 'en_US',
    });
  });

  router.post('/services/Soap/u/:version', express.text({ type: () => true, limit: '1mb' }), (req, res) => {
    let username = '';
    let password = '';
    try {
      const doc = soapParser.parse(String(req.body ?? '')) as {
        Envelope?: { Body?: { login?: { username?: string; password?: string } } };
      };
      username = String(doc.Envelope?.Body?.login?.username ?? '');
      password = String(doc.Envelope?.Body?.login?.password ?? '');
    } catch {
      return soapFault(
        res,
        'INVALID_LOGIN',
        'Invalid username, password, security token; or user locked out.',
      );
    }
    const user = org.directory.checkPassword(username, password);
    if (!user)
      return soapFault(
        res,
        'INVALID_LOGIN',
        'Invalid username, password, security token; or user locked out.',
      );
    const session = org.sessions.create(user.id, user.username, 'soap', null);
    const version = req.params.version;
    res
      .status(200)
      .type('text/xml')
      .send(
        `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result>` +
          `<metadataServerUrl>${org.url}/services/Soap/m/${version}/${org.orgId}</metadataServerUrl><passwordExpired>false</passwordExpired><sandbox>false</sandbox>` +
          `<serverUrl>${org.url}/services/Soap/u/${version}/${org.orgId}</serverUrl><sessionId>${escapeXml(session.token)}</sessionId><userId>${user.id}</userId>` +
          `<userInfo><organizationId>${org.orgId}</organizationId><organizationName>${escapeXml(org.options.orgName)}</organizationName><userEmail>${escapeXml(user.email)}</userEmail><userFullName>${escapeXml(user.name)}</userFullName><userId>${user.id}</userId><userName>${escapeXml(user.username)}</userName></userInfo>` +
          `</result></loginResponse></soapenv:Body></soapenv:Envelope>`,
      );
  });

  return router;
}
