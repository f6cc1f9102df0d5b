import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: undefined,
    redact: {
      paths: [
        'password',
        '*.password',
        'token',
        '*.token',
        'authorization',
        '*.authorization',
        'accessToken',
        'refreshToken',
        '*.accessToken',
        '*.refreshToken',
        'key',
        '*.key',
        'currentPassword',
        'newPassword',
        'headers.authorization',
        '*.headers.authorization',
      ],
      censor: '[redacted]',
    },
  });
}

/**
 * A request URL (or a line that quotes one) fit for a log: the live socket's ?access_token=
 * (browsers cannot send a header) is cut out; the token ends at the next parameter, space or quote.
 */
export function loggableUrl(url: string): string {
  return url.replace(/([?&]access_token=)[^&#\s'"]*/gi, '$1[redacted]');
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
