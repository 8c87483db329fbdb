import type { NextFunction, Request, Response } from 'express';
import { randomBytes } from 'node:crypto';

// How Responsys looks on the wire: every answer carries `Server: Apache`, a gateway `Via` header and an
// `X-CorrelationID: Id-<24 hex> 0`; JSON bodies are `application/json;charset=UTF-8` (written by hand,
// because Express would rewrite the charset to `; charset=utf-8`).

export const JSON_UTF8 = 'application/json;charset=UTF-8';

/** The error envelope every request-level failure uses: `type` is always "", `errorDetails` always []. */
export interface ErrorEnvelope {
  type: '';
  title: string;
  errorCode: string;
  detail: string;
  errorDetails: [];
}

/** A request-level failure; handlers throw it and the route wrapper renders the envelope. */
export class ResponsysError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    readonly title: string,
    readonly detail: string,
  ) {
    super(`${errorCode}: ${detail || title}`);
  }

  envelope(): ErrorEnvelope {
    return { type: '', title: this.title, errorCode: this.errorCode, detail: this.detail, errorDetails: [] };
  }
}

// Titles come from recordings where they exist (INVALID_TOKEN, INVALID_USER_NAME_PASSWORD,
// INVALID_PARAMETER) and from Oracle's error table otherwise; the rest are documented assumptions.
export const errors = {
  invalidToken: () =>
    new ResponsysError(401, 'INVALID_TOKEN', 'Not a valid token', 'Not a valid authentication token'),
  invalidCredentials: () =>
    new ResponsysError(400, 'INVALID_USER_NAME_PASSWORD', 'Invalid username or password', ''),
  invalidParameter: (detail: string) =>
    new ResponsysError(400, 'INVALID_PARAMETER', 'Invalid request parameters', detail),
  invalidFieldName: (detail: string) =>
    new ResponsysError(400, 'INVALID_FIELD_NAME', 'Invalid field name', detail),
  invalidRequestContent: (detail: string) =>
    new ResponsysError(400, 'INVALID_REQUEST_CONTENT', 'Invalid request content', detail),
  recipientLimitExceeded: (max: number) =>
    new ResponsysError(
      400,
      'RECIPIENT_LIMIT_EXCEEDED',
      'Recipient limit exceeded',
      `Request exceeds the limit: maximum of ${max} recipients are allowed per each api call`,
    ),
  apiLimitExceeded: (api: string) =>
    new ResponsysError(
      400,
      'API_LIMIT_EXCEEDED',
      'Request limit exceeded.',
      `You exceeded your allowable limit to call the ${api} API function. Please try again in a minute.`,
    ),
  internalCapacityExceeded: () =>
    new ResponsysError(
      400,
      'INTERNAL_CAPACITY_LIMIT_EXCEEDED',
      'Internal capacity limit exceeded',
      'The internal capacity limit for the account has been reached. Please try again later.',
    ),
  unexpected: (detail: string) =>
    new ResponsysError(500, 'UNEXPECTED_EXCEPTION', 'Unexpected exception', detail),
  listNotFound: (listName: string) =>
    new ResponsysError(404, 'LIST_NOT_FOUND', 'List not found', `List ${listName} not found`),
  extensionNotFound: (petName: string) =>
    new ResponsysError(
      404,
      'PROFILE_EXTENSION_NOT_FOUND',
      'Profile extension not found',
      `Profile extension table ${petName} not found`,
    ),
  tableNotFound: (folderName: string, tableName: string) =>
    new ResponsysError(
      404,
      'TABLE_NOT_FOUND',
      'Table not found',
      `Supplemental table ${tableName} not found in folder ${folderName}`,
    ),
  recordNotFound: () =>
    new ResponsysError(
      404,
      'RECORD_NOT_FOUND',
      'Record not found',
      'No records found in the list for given ids',
    ),
  eventNotFound: (eventName: string) =>
    new ResponsysError(404, 'EVENT_NOT_FOUND', 'Event not found', `Custom event ${eventName} not found`),
  campaignNotFound: (campaignName: string) =>
    new ResponsysError(404, 'CAMPAIGN_NOT_FOUND', 'Campaign not found', `Campaign ${campaignName} not found`),
};

/** Writes a JSON body with Responsys' exact content type (and no Express rewriting). */
export function sendJson(res: Response, status: number, body: unknown, contentType = JSON_UTF8): void {
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', String(payload.length));
  res.end(payload);
}

export function sendError(res: Response, error: ResponsysError): void {
  sendJson(res, error.status, error.envelope());
}

/**
 * Paths nobody serves (including `/rest/api/v1.3/ratelimit`) get the application server's own 404
 * page, not a JSON envelope: Oracle's throttling page describes it as "HTTP Status 404 – Not Found".
 */
export function sendNotFoundPage(res: Response): void {
  const html =
    '<!doctype html><html lang="en"><head><title>HTTP Status 404 – Not Found</title></head>' +
    '<body><h1>HTTP Status 404 – Not Found</h1></body></html>';
  res.statusCode = 404;
  res.setHeader('Content-Type', 'text/html;charset=utf-8');
  res.end(html);
}

export function correlationId(): string {
  return `Id-${randomBytes(12).toString('hex')} 0`;
}

let gatewayCounter = 0;

/** Stamps the gateway headers every recorded answer carries. */
export function gatewayHeaders(_req: Request, res: Response, next: NextFunction): void {
  gatewayCounter = (gatewayCounter % 3) + 1;
  res.setHeader('Server', 'Apache');
  res.setHeader('X-CorrelationID', correlationId());
  res.setHeader('Via', `1.0 oag0${gatewayCounter}-emulator.responsys.local ()`);
  next();
}
