/**
 * Which MQTT client ids a credential may use. MQTT hands a session (its subscriptions, queued
 * messages and will) to whoever connects with the same client id, so an id is bound to the identity
 * that signed in; otherwise one device could take over another's session.
 *
 *   device token   <device id>          or <device id>/<anything>
 *   user           @<user name>         or @<user name>/<anything>
 *   API key        @key:<key id>        or @key:<key id>/<anything>     (key id: the part of fsk_<id>.<secret>)
 *
 * Device ids start with a letter or digit and hold no "/", user names hold neither ":" nor "/", so no
 * two identities can claim the same id. An empty client id (the broker assigns a random one) is
 * always allowed: nobody else can reach that session.
 */
export type ClientIdOwner = { kind: 'device'; device: string } | { kind: 'user'; username: string } | { kind: 'api_key'; id: string };

export function clientIdPrefix(owner: ClientIdOwner): string {
  switch (owner.kind) {
    case 'device':
      return owner.device;
    case 'user':
      return `@${owner.username}`;
    default:
      return `@key:${owner.id}`;
  }
}

export function clientIdAllowed(owner: ClientIdOwner, clientId: string): boolean {
  const prefix = clientIdPrefix(owner);
  return clientId === prefix || (clientId.startsWith(`${prefix}/`) && clientId.length > prefix.length + 1);
}

/**
 * What a tool publishing for many devices (the simulator) puts before each device id in its client
 * ids when it signs in as a user or with an API key: "@<user>/" or "@key:<id>/". Nothing without
 * credentials (insecure-local) or as the built-in simulator.
 */
export function serviceClientIdPrefix(username: string | undefined, password: string | undefined, apiKeyPrefix = 'fsk_'): string {
  if (password?.startsWith(apiKeyPrefix)) {
    const dot = password.indexOf('.');
    if (dot > apiKeyPrefix.length) return `${clientIdPrefix({ kind: 'api_key', id: password.slice(apiKeyPrefix.length, dot) })}/`;
  }
  return username && password ? `${clientIdPrefix({ kind: 'user', username })}/` : '';
}
