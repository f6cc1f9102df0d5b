import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import type { Store } from '../stores/store.js';
import type { Metrics } from '../metrics.js';
import type { Logger } from '../logger.js';
import { UserService } from './users.js';
import { TokenService, loadOrCreateKey } from './tokens.js';
import { ApiKeyService } from './api-keys.js';
import { DeviceCredentials } from './device-credentials.js';
import { LoginThrottle } from './login-throttle.js';
import { RateLimiter } from './rate-limit.js';
import { accessPolicy, type AccessPolicy } from './policy.js';
import { randomSecret } from './hash.js';
import { Revocations } from './revocations.js';
import { SessionCheck } from './sessions.js';

/** Everything the HTTP guard, the auth routes and the MQTT broker need to decide who gets in. */
export interface AuthServices {
  policy: AccessPolicy;
  users: UserService;
  tokens: TokenService;
  apiKeys: ApiKeyService;
  devices: DeviceCredentials;
  logins: LoginThrottle;
  /** Credentials revoked while in use: heard by the MQTT broker (it drops their sessions) and the session check. */
  revocations: Revocations;
  /** Whether an access token's sign-in is still live (signed out, reset, reused: not). */
  sessions: SessionCheck;
  /** Requests per IP and per user. */
  apiLimiter: RateLimiter;
  /** Messages per device, MQTT and HTTP. */
  deviceLimiter: RateLimiter;
  accessTtlMs: number;
  /** Lets in-process clients (the built-in simulator) onto the broker; in memory only, new every start. */
  internal: { username: string; password: string };
  metrics: Metrics;
  logger: Logger;
}

export const INITIAL_ADMIN_FILE = 'initial-admin-password';

/** The first admin's password from the environment or a file (a secrets mount), for unattended installs. */
function suppliedAdminPassword(config: Config): { password: string; from: string } | null {
  const env = process.env.FIELDSCOPE_ADMIN_PASSWORD;
  if (env) return { password: env, from: 'FIELDSCOPE_ADMIN_PASSWORD' };
  if (!config.adminPasswordFile) return null;
  const password = readFileSync(config.adminPasswordFile, 'utf8').replace(/\r?\n$/, '');
  return { password, from: config.adminPasswordFile };
}

/**
 * Loads users, keys and credentials, makes the signing key on first start, and on first start
 * creates the admin with a random password (there is no default one), returned to be printed once.
 */
export async function createAuth(opts: {
  config: Config;
  dataDir: string;
  store: Store;
  metrics: Metrics;
  logger: Logger;
}): Promise<{ auth: AuthServices; initialAdminPassword: string | null; initialAdminPasswordFile: string | null }> {
  const { config, store, metrics, logger } = opts;
  const policy = accessPolicy(config);
  const authDir = join(opts.dataDir, 'auth');
  mkdirSync(authDir, { recursive: true, mode: 0o700 });
  const revocations = new Revocations();
  const tokens = new TokenService(loadOrCreateKey(join(authDir, 'jwt.key')), store.auth, { accessTtlMs: config.accessTokenTtlMs }, revocations);
  const users = new UserService(store.auth, revocations);
  await users.load();
  const apiKeys = new ApiKeyService(store.auth, revocations);
  await apiKeys.load();
  const devices = new DeviceCredentials(store.auth, revocations);
  await devices.load();

  let initialAdminPassword: string | null = null;
  if (users.list().length === 0) {
    const supplied = suppliedAdminPassword(config);
    if (supplied) {
      // Checked like any password (length); a bad one stops the start rather than leaving no admin.
      await users.create({ username: 'admin', password: supplied.password, role: 'admin' });
      logger.info({ from: supplied.from }, 'created user admin with the supplied password');
    } else {
      initialAdminPassword = randomSecret(18);
      await users.create({ username: 'admin', password: initialAdminPassword, role: 'admin' });
      const file = join(authDir, INITIAL_ADMIN_FILE);
      writeFileSync(file, initialAdminPassword + '\n', { mode: 0o600 });
      chmodSync(file, 0o600);
      logger.info({ file }, 'created user admin with a random password (printed once at start, and in this file)');
    }
  }

  const auth: AuthServices = {
    policy,
    users,
    tokens,
    apiKeys,
    devices,
    revocations,
    sessions: new SessionCheck((family) => tokens.sessionLive(family), revocations),
    logins: new LoginThrottle(store.auth, {
      slowAfter: config.loginSlowAfter,
      slowMs: config.loginSlowMs,
      lockAfter: config.loginLockAfter,
      lockMs: config.loginLockMs,
    }),
    apiLimiter: new RateLimiter({ perSecond: config.apiRatePerSec, burst: Math.max(1, config.apiRateBurst) }),
    deviceLimiter: new RateLimiter({ perSecond: config.deviceRatePerSec, burst: Math.max(1, config.deviceRateBurst) }),
    accessTtlMs: config.accessTokenTtlMs,
    internal: { username: `fieldscope-internal-${randomSecret(6)}`, password: randomSecret() },
    metrics,
    logger,
  };
  // Still there after the first start (which may have failed before it could print the password): say where it is.
  const file = join(authDir, INITIAL_ADMIN_FILE);
  return { auth, initialAdminPassword, initialAdminPasswordFile: existsSync(file) ? file : null };
}
