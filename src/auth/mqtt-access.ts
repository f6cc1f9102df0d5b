import type { AuthServices } from './setup.js';
import type { Role } from '../model/auth.js';
import { parseDeviceTopic } from '../sources/topics.js';
import { API_KEY_PREFIX } from './api-keys.js';
import { roleAtLeast } from './roles.js';
import { sameSecret } from './hash.js';

/** As the HTTP API's device id parameter: no topic wildcards or separators. */
const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Who an MQTT connection is. A service (operator+ user or API key, or the built-in simulator) may publish for any device. */
export type MqttPrincipal = { kind: 'device'; device: string } | { kind: 'service'; name: string; role: Role } | { kind: 'anonymous' };

export type MqttAuthResult = { ok: true; principal: MqttPrincipal } | { ok: false; returnCode: 4 | 5; reason: string };

/**
 * The broker's side of access control: who may connect (username = device id, password = its token;
 * or an operator's user name and password or API key), and the ACL: a device publishes only under
 * devices/{its id}/ and subscribes only to its own commands and ota topics.
 */
export class MqttAccess {
  private readonly who = new WeakMap<object, MqttPrincipal>();

  constructor(private readonly auth: AuthServices) {}

  principalOf(client: object): MqttPrincipal | undefined {
    return this.who.get(client);
  }

  async authenticate(client: object, ip: string, username: string | undefined, password: Buffer | undefined): Promise<MqttAuthResult> {
    const result = await this.check(ip, username, password?.toString('utf8'));
    if (result.ok) this.who.set(client, result.principal);
    else this.auth.metrics.authDenied.inc({ transport: 'mqtt', reason: result.reason });
    return result;
  }

  private async check(ip: string, username: string | undefined, password: string | undefined): Promise<MqttAuthResult> {
    const { auth } = this;
    if (!password) {
      if (auth.policy.anonymousDevices) return { ok: true, principal: { kind: 'anonymous' } };
      return { ok: false, returnCode: 5, reason: 'no_credentials' };
    }
    if (username === auth.internal.username) {
      return sameSecret(password, auth.internal.password) ? { ok: true, principal: { kind: 'service', name: 'internal', role: 'operator' } } : { ok: false, returnCode: 4, reason: 'bad_credentials' };
    }
    if (password.startsWith(API_KEY_PREFIX)) {
      const k = auth.apiKeys.verify(password);
      if (!k) return { ok: false, returnCode: 4, reason: 'bad_credentials' };
      if (!roleAtLeast(k.role, 'operator')) return { ok: false, returnCode: 5, reason: 'forbidden' };
      return { ok: true, principal: { kind: 'service', name: `key:${k.name}`, role: k.role } };
    }
    if (!username) return { ok: false, returnCode: 4, reason: 'bad_credentials' };
    if (auth.devices.has(username)) {
      return auth.devices.verify(username, password) ? { ok: true, principal: { kind: 'device', device: username } } : { ok: false, returnCode: 4, reason: 'bad_credentials' };
    }
    if (auth.users.byName(username)) {
      // A person's password over MQTT is throttled like a sign-in: the broker is no side door for guessing.
      const keys = [`ip:${ip}`, `user:${username}`];
      if (!(await auth.logins.gate(keys)).ok) return { ok: false, returnCode: 5, reason: 'login_throttled' };
      const user = await auth.users.authenticate(username, password);
      if (!user) {
        await auth.logins.failed(keys);
        return { ok: false, returnCode: 4, reason: 'bad_credentials' };
      }
      await auth.logins.succeeded(`user:${username}`);
      if (!roleAtLeast(user.role, 'operator')) return { ok: false, returnCode: 5, reason: 'forbidden' };
      return { ok: true, principal: { kind: 'service', name: user.username, role: user.role } };
    }
    if (auth.policy.unknownDevices === 'provision' && DEVICE_ID.test(username)) {
      await auth.devices.provision(username, password);
      auth.metrics.devicesProvisioned.inc();
      auth.logger.warn({ device: username, ip }, 'unknown device registered on first connect (unknownDevices: provision); its password is now its token');
      return { ok: true, principal: { kind: 'device', device: username } };
    }
    return { ok: false, returnCode: 4, reason: 'unknown_device' };
  }

  /** null when allowed; otherwise why not (the broker refuses the publish and counts it). */
  checkPublish(client: object | null, topic: string): string | null {
    const p = client ? this.who.get(client) : undefined;
    if (!p || p.kind !== 'device') return null;
    const t = parseDeviceTopic(topic);
    if (t && t.device === p.device && t.kind !== 'commands') return null;
    this.auth.metrics.authDenied.inc({ transport: 'mqtt', reason: 'acl_publish' });
    this.auth.logger.warn({ device: p.device, topic }, 'publish refused by the topic ACL');
    return `device ${p.device} may publish only to devices/${p.device}/{telemetry,state,commands/ack,ota}`;
  }

  checkSubscribe(client: object | null, topic: string): boolean {
    const p = client ? this.who.get(client) : undefined;
    if (!p || p.kind !== 'device') return true;
    if (topic === `devices/${p.device}/commands` || topic === `devices/${p.device}/ota`) return true;
    this.auth.metrics.authDenied.inc({ transport: 'mqtt', reason: 'acl_subscribe' });
    this.auth.logger.warn({ device: p.device, topic }, 'subscribe refused by the topic ACL');
    return false;
  }

  /** Per-device message rate, shared with HTTP ingest; false: over the limit (counted). */
  takeMessage(device: string): boolean {
    const ok = this.auth.deviceLimiter.take(`device:${device}`).ok;
    if (!ok) this.auth.metrics.rateLimited.inc({ scope: 'device', transport: 'mqtt' });
    return ok;
  }
}
