// The Streaming API's error strings, as Salesforce words them (salesforce-api.md sections 1.4-1.5).
// A Bayeux error is "<code>::<message>". Values are wrapped in braces the way the real server prints
// them ("The replayId for channel {/event/X__e} wasn't found ... {{/event/Y__e=-2}}").

export const REQUEST_REQUIRES_AUTHENTICATION = '401::Request requires authentication';
export const AUTHENTICATION_INVALID = '401::Authentication invalid';
export const HANDSHAKE_DENIED = '403::Handshake denied';
export const UNKNOWN_CLIENT = '403::Unknown client';
export const CONCURRENT_CLIENT_LIMIT = '403::Organization concurrent user limit exceeded';
export const DAILY_DELIVERY_LIMIT = '403::Organization total events daily limit exceeded';
export const PUBLISH_DENIED = '403::Publish denied';
export const MAXIMUM_REQUEST_SIZE = '413::Maximum Request Size Exceeded';

/** Requests over this many bytes answer 413. */
export const MAX_REQUEST_BYTES = 32_768;

export function unknownChannel(channel: string): string {
  return `400::The channel you requested to subscribe to doesn't exist {${channel}}`;
}

/** Two spaces after "invalid.", as real servers send it (clients match the `400::The replayId {` prefix). */
export function invalidReplayId(replayId: unknown): string {
  return `400::The replayId {${String(replayId)}} you provided was invalid.  Please provide a valid ID, -2 to replay all events, or -1 to replay only new events.`;
}

/** The replay map names other channels (two Replay extensions on one faye client, jsforce#814). */
export function replayIdNotInMap(channel: string, map: Record<string, unknown>): string {
  const entries = Object.entries(map)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(', ');
  return `400::The replayId for channel {${channel}} wasn't found using the provided replay ID map {{${entries}}}. Ensure that the channel name you provided in the replay map is valid and matches the channel name used for subscribing.`;
}

export function invalidConnectionType(type: unknown): string {
  return `400::Invalid connection type ${String(type)}`;
}

export function missingBrowserCookie(clientId: string): string {
  return `400::Client {${clientId}} has established a session, but no {BAYEUX_BROWSER} cookie present`;
}
