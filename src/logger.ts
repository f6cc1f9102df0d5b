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

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
