import { readFileSync } from 'node:fs';
import type { Config } from '../config.js';
import type { Channel, ChannelPolicy, NoticeType } from './channel.js';
import { defaultPolicy, isSeverity } from './dispatcher.js';
import { WebSocketChannel } from './websocket.js';
import { WebhookChannel } from './webhook.js';
import { SlackChannel } from './slack.js';
import { EmailChannel } from './email.js';

export class NotifyConfigError extends Error {}

/** A secret from its env variable, else from the named file; never from a config file or a flag. */
function secret(env: NodeJS.ProcessEnv, name: string, file: string | null): string | null {
  const v = env[name];
  if (v) return v;
  if (file) return readFileSync(file, 'utf8').trim();
  return null;
}

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
): { channels: { channel: Channel; policy: ChannelPolicy }[]; websocket: WebSocketChannel } {
  const websocket = new WebSocketChannel();
  const list: Channel[] = [websocket];
  if (config.webhookUrl) list.push(new WebhookChannel(config.webhookUrl, secret(env, 'FIELDSCOPE_WEBHOOK_SECRET', config.webhookSecretFile)));
  const slackUrl = secret(env, 'FIELDSCOPE_SLACK_WEBHOOK_URL', config.slackWebhookUrlFile);
  if (slackUrl) list.push(new SlackChannel(slackUrl));
  if (config.smtpHost && config.emailTo) {
    list.push(
      new EmailChannel({
        host: config.smtpHost,
        port: config.smtpPort,
        secure: config.smtpSecure,
        user: config.smtpUser,
        password: secret(env, 'FIELDSCOPE_SMTP_PASSWORD', config.smtpPasswordFile),
        from: config.emailFrom,
        to: config.emailTo
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      }),
    );
  }
  const policies = config.notifications ?? {};
  for (const k of Object.keys(policies)) {
    if (!list.some((c) => c.name === k))
      throw new NotifyConfigError(`notifications.${k}: no such channel configured (have: ${list.map((c) => c.name).join(', ')})`);
  }
  return { channels: list.map((channel) => ({ channel, policy: policyFor(channel, policies[channel.name]) })), websocket };
}
