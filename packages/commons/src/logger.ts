/**
 * Structured JSON logs (pino). Secrets and attachment bytes are redacted by key wherever they
 * appear, so a careless `log.info({ request })` cannot leak a token or a document.
 */
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export const REDACTED_KEYS = [
  'authorization',
  'token',
  'accessToken',
  'password',
  'secret',
  'secretKey',
  'data', // attachment bytes (base64) in registration inputs
];

const redactPaths = REDACTED_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`]);

export function createLogger(
  service: string,
  options: { level?: string; destination?: pino.DestinationStream } = {},
): Logger {
  return pino(
    {
      name: service,
      level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
      base: { service },
      redact: { paths: redactPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}
