import { isIP } from 'node:net';
import type { AnonymousRole, Role } from '../model/auth.js';
import { isRole } from './roles.js';
import { ConfigError } from '../config.js';

/** Who may come in without credentials, derived from the config once and checked before anything listens. */
export interface AccessPolicy {
  /** Role of a caller with no credentials; null: they must sign in. */
  anonymousRole: Role | null;
  /** Devices may connect to MQTT without a token (and publish to any device's topics). */
  anonymousDevices: boolean;
  unknownDevices: 'reject' | 'provision';
}

/** A ConfigError, so the CLI prints it as one and exits without a stack trace. */
export class PolicyError extends ConfigError {}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (h.startsWith('::ffff:')) return isLoopback(h.slice(7));
  return isIP(h) === 4 && h.startsWith('127.');
}

export function accessPolicy(c: { host: string; anonymousRole: AnonymousRole | string; insecureLocal: boolean; unknownDevices: string }): AccessPolicy {
  if (c.anonymousRole !== 'none' && !isRole(c.anonymousRole)) {
    throw new PolicyError(`anonymousRole must be none, viewer, operator or admin, got "${c.anonymousRole}"`);
  }
  if (c.unknownDevices !== 'reject' && c.unknownDevices !== 'provision') {
    throw new PolicyError(`unknownDevices must be reject or provision, got "${c.unknownDevices}"`);
  }
  if (!isLoopback(c.host)) {
    if (c.insecureLocal) {
      throw new PolicyError(
        `refusing to start: --host ${c.host} is reachable from other machines, and insecure-local mode (anonymous read, anonymous MQTT devices) ` +
          'is only allowed on 127.0.0.1. Start with --no-insecure-local (FIELDSCOPE_INSECURE_LOCAL=false) and sign in with the admin password printed at first start.',
      );
    }
    if (c.anonymousRole !== 'none') {
      throw new PolicyError(
        `refusing to start: anonymousRole "${c.anonymousRole}" lets anyone in, and is only allowed on 127.0.0.1; --host ${c.host} needs anonymousRole none.`,
      );
    }
  }
  const anonymous: Role | null = c.anonymousRole !== 'none' ? (c.anonymousRole as Role) : c.insecureLocal ? 'viewer' : null;
  return { anonymousRole: anonymous, anonymousDevices: c.insecureLocal, unknownDevices: c.unknownDevices };
}
