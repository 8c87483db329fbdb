import { hostname } from 'node:os';
import { pino, type DestinationStream, type Logger as PinoLogger, type LevelWithSilent } from 'pino';
import { currentCorrelation } from './correlation.js';
import { redactText } from './redaction.js';

// Structured JSON logs (pino). Every line written inside a record journey carries its correlation id
// (from AsyncLocalStorage), and the final text of every line is scrubbed of secrets: registered
// secret values, bearer tokens, URL passwords and PEM keys. Secret-named fields are masked by path.

export type Logger = PinoLogger;
export type LogLevel = LevelWithSilent;

const redactedPaths = [
  'password',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'authToken',
  'clientSecret',
  'client_secret',
  'privateKey',
  'authorization',
  'Authorization',
  '*.password',
  '*.token',
  '*.accessToken',
  '*.access_token',
  '*.refresh_token',
  '*.authToken',
  '*.clientSecret',
  '*.client_secret',
  '*.privateKey',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'request.headers.authorization',
  'config.headers.authorization',
  'config.headers.Authorization',
];

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  destination?: DestinationStream;
  base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'responsys-bridge', pid: process.pid, host: hostname(), ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactedPaths, censor: '[redacted]' },
      mixin() {
        const context = currentCorrelation();
        if (!context) return {};
        const fields: Record<string, unknown> = {};
        if (context.correlationId) fields.correlationId = context.correlationId;
        if (context.correlationIds) fields.correlationIds = context.correlationIds;
        if (context.requestId) fields.requestId = context.requestId;
        if (context.flow) fields.flow = context.flow;
        return fields;
      },
      hooks: { streamWrite: (line) => redactText(line) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** A logger that drops everything, for tools and tests that do not care about logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
