import type { AuthServices } from './setup.js';
import type { Role } from '../model/auth.js';
import { parseDeviceTopic } from '../model/topics.js';
import { API_KEY_PREFIX } from './api-keys.js';
import { roleAtLeast } from './roles.js';
import { sameSecret } from './hash.js';
import type { Revocation } from './revocations.js';
import { clientIdAllowed, clientIdPrefix, type ClientIdOwner } from './client-id.js';

/** As the HTTP API's device id parameter: no topic wildcards or separators. */
const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * Who an MQTT connection is, and the credential it signed in with (revoking that credential closes
 * the connection). A service (operator+ user or API key, or the built-in simulator) may publish for any device.
 */
export type MqttPrincipal =
  | { kind: 'device'; device: string }
  | {
      kind: 'service';
      name: string;
      role: Role;
      credential: { kind: 'user'; id: string; username: string } | { kind: 'api_key'; id: string } | { kind: 'internal' };
    }
  | { kind: 'anonymous' };

export type MqttAuthResult = { ok: true; principal: MqttPrincipal } | { ok: false; returnCode: 4 | 5; reason: string };

/** What the broker knows of a connecting client: its id, and whether the client sent none (the broker made one up). */
export interface MqttClientInfo {
  id: string;
  assignedId: boolean;
}

/** The part of a broker client that access control uses: closing it. */
export interface MqttSession {
  /** Aedes sets it once the connection has gone. */
  readonly closed?: boolean;
  close(): void;
}

/**
 * The broker's side of access control: who may connect (username = device id, password = its token;
 * or an operator's user name and password or API key), which client ids they may use, and the ACL: a
 * device publishes only under devices/{its id}/ and subscribes only to its own commands and ota topics.
 * Revoking a credential closes the connections that signed in with it.
 */
export class MqttAccess {
  private readonly who = new Map<MqttSession, MqttPrincipal>();

  constructor(private readonly auth: AuthServices) {
    auth.revocations.on((r) => this.revoked(r));
  }

  principalOf(client: object): MqttPrincipal | undefined {
    return this.who.get(client as MqttSession);
  }

  /** The client has gone: nothing to close later. */
  forget(client: MqttSession): void {
    this.who.delete(client);
  }

  async authenticate(
    client: MqttSession,
    info: MqttClientInfo,
    ip: string,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<MqttAuthResult> {
    let result = await this.check(ip, username, password?.toString('utf8'));
    if (result.ok && !info.assignedId && !this.clientIdAllowed(result.principal, info.id)) {
      const owner = ownerOf(result.principal);
      this.auth.logger.warn({ clientId: info.id, ip, expected: owner && clientIdPrefix(owner) }, 'mqtt client id belongs to another identity; refused');
      result = { ok: false, returnCode: 5, reason: 'client_id' };
    }
    // A connection gone while its password was checked is not remembered (nothing would forget it).
    if (!result.ok) this.auth.metrics.authDenied.inc({ transport: 'mqtt', reason: result.reason });
    else if (!client.closed) this.who.set(client, result.principal);
    return result;
  }

  private clientIdAllowed(p: MqttPrincipal, clientId: string): boolean {
    const owner = ownerOf(p);
    // No owner: anonymous devices (insecure-local, loopback only) and the built-in simulator, which publishes as its devices.
    return owner === null || clientIdAllowed(owner, clientId);
  }

  private revoked(r: Revocation): void {
    for (const [client, p] of this.who) {
      const hit =
        (r.kind === 'device' && p.kind === 'device' && p.device === r.device) ||
        (r.kind === 'api_key' && p.kind === 'service' && p.credential.kind === 'api_key' && p.credential.id === r.id) ||
        (r.kind === 'user' && p.kind === 'service' && p.credential.kind === 'user' && p.credential.id === r.id);
      if (!hit) continue;
      this.who.delete(client);
      this.auth.metrics.mqttRevoked.inc({ credential: r.kind });
      this.auth.logger.info(
        { credential: r.kind, who: p.kind === 'device' ? p.device : p.kind === 'service' ? p.name : 'anonymous' },
        'credential revoked: its MQTT connection is closed',
      );
      client.close();
    }
  }

  private async check(ip: string, username: string | undefined, password: string | undefined): Promise<MqttAuthResult> {
    const { auth } = this;
    if (!password) {
      if (auth.policy.anonymousDevices) return { ok: true, principal: { kind: 'anonymous' } };
      return { ok: false, returnCode: 5, reason: 'no_credentials' };
    }
    if (username === auth.internal.username) {
      return sameSecret(password, auth.internal.password)
        ? { ok: true, principal: { kind: 'service', name: 'internal', role: 'operator', credential: { kind: 'internal' } } }
        : { ok: false, returnCode: 4, reason: 'bad_credentials' };
    }
    if (password.startsWith(API_KEY_PREFIX)) {
      const k = auth.apiKeys.verify(password);
      if (!k) return { ok: false, returnCode: 4, reason: 'bad_credentials' };
      if (!roleAtLeast(k.role, 'operator')) return { ok: false, returnCode: 5, reason: 'forbidden' };
      return { ok: true, principal: { kind: 'service', name: `key:${k.name}`, role: k.role, credential: { kind: 'api_key', id: k.id } } };
    }
    if (!username) return { ok: false, returnCode: 4, reason: 'bad_credentials' };
    if (auth.devices.has(username)) {
      return auth.devices.verify(username, password)
        ? { ok: true, principal: { kind: 'device', device: username } }
        : { ok: false, returnCode: 4, reason: 'bad_credentials' };
    }
    if (auth.users.byName(username)) {
      // A person's password over MQTT is throttled like a sign-in, and counted before it is checked:
      // the broker is no side door for guessing, in parallel or not.
      const keys = [`ip:${ip}`, `user:${username}`];
      const gate = await auth.logins.reserve(keys);
      if (!gate.ok) return { ok: false, returnCode: 5, reason: 'login_throttled' };
      const user = await auth.users.authenticate(username, password);
      if (!user) return { ok: false, returnCode: 4, reason: 'bad_credentials' };
      await auth.logins.succeeded(gate.ticket, `user:${username}`);
      if (!roleAtLeast(user.role, 'operator')) return { ok: false, returnCode: 5, reason: 'forbidden' };
      return {
        ok: true,
        principal: { kind: 'service', name: user.username, role: user.role, credential: { kind: 'user', id: user.id, username: user.username } },
      };
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
    const p = client ? this.who.get(client as MqttSession) : undefined;
    if (!p || p.kind !== 'device') return null;
    const t = parseDeviceTopic(topic);
    if (t && t.device === p.device && t.kind !== 'commands') return null;
    this.auth.metrics.authDenied.inc({ transport: 'mqtt', reason: 'acl_publish' });
    this.auth.logger.warn({ device: p.device, topic }, 'publish refused by the topic ACL');
    return `device ${p.device} may publish only to devices/${p.device}/{telemetry,state,commands/ack,ota}`;
  }

  checkSubscribe(client: object | null, topic: string): boolean {
    const p = client ? this.who.get(client as MqttSession) : undefined;
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

function ownerOf(p: MqttPrincipal): ClientIdOwner | null {
  if (p.kind === 'device') return { kind: 'device', device: p.device };
  if (p.kind === 'service' && p.credential.kind === 'user') return { kind: 'user', username: p.credential.username };
  if (p.kind === 'service' && p.credential.kind === 'api_key') return { kind: 'api_key', id: p.credential.id };
  return null;
}
