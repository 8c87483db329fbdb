// Secrets never reach a log line, an error message or an API answer. Three layers:
// known secret values (registered by config and the connectors when they receive tokens) are
// replaced wherever they appear in text; object keys that name secrets are masked; URLs lose their
// password.

const REDACTED = '[redacted]';
const registeredSecrets = new Map<string, RegExp>();

// Shorter values would match ordinary words (a database password "bridge" would blank out every
// "responsys-bridge" in the logs). Short secrets are still masked where they appear as secrets: in
// URLs, authorization headers and secret-named fields.
const MIN_SECRET_LENGTH = 8;

const escapeRegExp = (value: string) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// A secret is scrubbed where it stands alone, not inside a longer word.
const standalone = (value: string) =>
  new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(value)}(?![A-Za-z0-9])`, 'g');

/** Remember a secret value (password, token, key) so that it is scrubbed from every log line. */
export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < MIN_SECRET_LENGTH) return;
  registeredSecrets.set(value, standalone(value));
  // Log lines are JSON: a secret with quotes or backslashes appears there in its escaped form.
  const escaped = JSON.stringify(value).slice(1, -1);
  if (escaped !== value) registeredSecrets.set(escaped, standalone(escaped));
}

export function forgetSecret(value: string): void {
  registeredSecrets.delete(value);
  registeredSecrets.delete(JSON.stringify(value).slice(1, -1));
}

const bearerPattern = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi;
const urlCredentialsPattern = /\b([a-z][a-z0-9+.-]*:\/\/)([^:/@\s]+):([^@/\s]+)@/gi;
const privateKeyPattern = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g;

/** Scrubs secrets out of free text (log lines, error messages from third parties). */
export function redactText(text: string): string {
  let result = text;
  for (const [secret, pattern] of registeredSecrets) {
    if (result.includes(secret)) result = result.replace(pattern, REDACTED);
  }
  return result
    .replace(privateKeyPattern, REDACTED)
    .replace(bearerPattern, (_match, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(
      urlCredentialsPattern,
      (_match, scheme: string, user: string) => `${scheme}${user}:${REDACTED}@`,
    );
}

/** A URL with its password replaced, for config views and logs. Non-URLs come back unchanged. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (!url.password) return value;
    url.password = 'redacted';
    return url.toString().replace(':redacted@', `:${REDACTED}@`);
  } catch {
    return redactText(value);
  }
}

const secretKeyPattern =
  /(pass(word)?|secret|token|authorization|api[-_]?key|private[-_]?key|credential|cookie|session[-_]?id)$/i;

export function isSecretKey(key: string): boolean {
  return secretKeyPattern.test(key);
}

/** A deep copy with secret-named keys masked and every string scrubbed; safe to log or return. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[truncated]';
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      result[key] =
        isSecretKey(key) && item !== undefined && item !== null ? REDACTED : redactValue(item, depth + 1);
    }
    return result;
  }
  return value;
}
