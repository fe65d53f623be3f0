/** The structured logger (pino), with secrets redacted. */
import { pino } from 'pino';

export type Logger = pino.Logger;

export interface LoggerOptions {
  level?: string;
  destination?: pino.DestinationStream;
}

const REDACT = [
  'authorization',
  'headers.authorization',
  'headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  '*.value',
  'key.value',
  'apiKey',
  '*.apiKey',
  '*.authorization',
  '*["x-api-key"]',
  '*.headers.authorization',
  '*.headers["x-api-key"]',
  '*.headers["x-goog-api-key"]',
  'admin_token',
  '*.admin_token',
  'api_keys',
  '*.api_keys',
  'postgres_url',
  '*.postgres_url',
  'password',
  '*.password',
  'secret_access_key',
  '*.secret_access_key',
  'session_token',
  '*.session_token',
  'credentials',
  '*.credentials',
];

export function createLogger(options: LoggerOptions = {}): Logger {
  const opts: pino.LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: 'switchyard' },
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination ? pino(opts, options.destination) : pino(opts);
}

/** A logger that writes nothing, for tests and tools. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
