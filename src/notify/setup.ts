import type { Config } from '../config.js';
import type { Channel, ChannelPolicy, NoticeType } from './channel.js';
import { defaultPolicy, isSeverity } from './dispatcher.js';
import { WebSocketChannel } from './websocket.js';
import { channelPlugins } from './registry.js';
import { NotifyConfigError } from './plugin.js';

export { NotifyConfigError } from './plugin.js';

const NOTICE_TYPES: NoticeType[] = ['raised', 'cleared', 'acked', 'escalation', 'test'];

function policyFor(channel: Channel, raw: unknown): ChannelPolicy {
  const p = defaultPolicy(channel.type);
  if (raw === undefined) return p;
  const where = `notifications.${channel.name}`;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new NotifyConfigError(`${where} must be an object`);
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (k === 'severities') {
      if (!Array.isArray(v) || !v.every(isSeverity)) throw new NotifyConfigError(`${where}.severities must list critical, major, minor, warning, info`);
      p.severities = v;
    } else if (k === 'events') {
      if (!Array.isArray(v) || !v.every((e) => NOTICE_TYPES.includes(e as NoticeType)))
        throw new NotifyConfigError(`${where}.events must list ${NOTICE_TYPES.join(', ')}`);
      p.events = v as NoticeType[];
    } else if (k === 'groupWindowMs' || k === 'minIntervalMs' || k === 'renotifyAfterMs' || k === 'retries' || k === 'backoffMs') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new NotifyConfigError(`${where}.${k} must be a non-negative integer`);
      p[k] = v;
    } else throw new NotifyConfigError(`${where}: unknown setting "${k}"`);
  }
  return p;
}

/** The channels the config names, each with its policy. The websocket channel always exists. */
export function buildChannels(
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
  warn: (message: string) => void = () => {},
): { channels: { channel: Channel; policy: ChannelPolicy }[]; websocket: WebSocketChannel } {
  const websocket = new WebSocketChannel();
  const list: Channel[] = [websocket];
  const sections = config.notify ?? {};
  if (typeof sections !== 'object' || Array.isArray(sections)) throw new NotifyConfigError('notify must be an object of channel sections');
  for (const type of Object.keys(sections)) {
    if (!channelPlugins.some((p) => p.type === type))
      throw new NotifyConfigError(`notify.${type}: no such channel type (have: ${channelPlugins.map((p) => p.type).join(', ')})`);
  }
  for (const plugin of channelPlugins) {
    const channel = plugin.create(sections[plugin.type], env, config, warn);
    if (channel) list.push(channel);
  }
  const policies = config.notifications ?? {};
  for (const k of Object.keys(policies)) {
    if (!list.some((c) => c.name === k))
      throw new NotifyConfigError(`notifications.${k}: no such channel configured (have: ${list.map((c) => c.name).join(', ')})`);
  }
  return { channels: list.map((channel) => ({ channel, policy: policyFor(channel, policies[channel.name]) })), websocket };
}
