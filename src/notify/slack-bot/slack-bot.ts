import type { Channel, Notice } from '../channel.js';
import { slackMessage } from '../slack/slack-message.js';
import { slackSection } from '../slack/slack-section.js';
import { defaults } from '../../config.js';
import { NotifyConfigError, secret, type ChannelPlugin } from '../plugin.js';

export interface SlackBotOptions {
  /** Bot user OAuth token (xoxb-...), from FIELDSCOPE_SLACK_BOT_TOKEN or a file: never config or a flag. */
  token: string;
  /** Channel id (C...), channel name (#alarms) or user id (U...: the bot's direct message with them). */
  channel: string;
  /** Slack Web API base, https://slack.com/api unless a stand-in or proxy is named. */
  apiUrl: string;
  name?: string;
}

/**
 * Slack as a bot: chat.postMessage with a bot token, beside the incoming-webhook channel. Slack
 * answers HTTP 200 with {"ok": false, "error": ...} for most refusals, so the body decides
 * success, not the status alone; a refusal is thrown for the dispatcher to retry and log.
 */
export class SlackBotChannel implements Channel {
  readonly type = 'slack' as const;
  readonly name: string;

  constructor(private readonly opts: SlackBotOptions) {
    this.name = opts.name ?? 'slack-bot';
  }

  async send(notices: Notice[]): Promise<void> {
    const url = this.opts.apiUrl.replace(/\/+$/, '') + '/chat.postMessage';
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${this.opts.token}` },
      body: JSON.stringify({ channel: this.opts.channel, unfurl_links: false, ...slackMessage(notices) }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text().catch(() => '');
    if (!res.ok) {
      const retry = res.headers.get('retry-after');
      throw new Error(`Slack chat.postMessage: HTTP ${res.status}${retry ? ` (retry after ${retry} s)` : ''}`);
    }
    let body: { ok?: unknown; error?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new Error('Slack chat.postMessage: the answer is not JSON');
    }
    // The error names the cause (channel_not_found, not_in_channel, invalid_auth); it never holds the token.
    if (body.ok !== true) throw new Error(`Slack chat.postMessage: ${typeof body.error === 'string' ? body.error : 'not ok'}`);
  }
}

const FLAT_TO_SECTION = { slackBotTokenFile: 'botTokenFile', slackChannel: 'channel', slackApiUrl: 'apiUrl' } as const;

/**
 * Slack as a bot, from `notify.slack` { botTokenFile, channel, apiUrl } (the token may also be
 * FIELDSCOPE_SLACK_BOT_TOKEN). The flat settings older versions read (slackBotTokenFile,
 * slackChannel, slackApiUrl) still work, each with a deprecation line in the log.
 */
export const slackBot: ChannelPlugin = {
  type: 'slack',
  create(section, env, config, warn) {
    const s = slackSection(section);
    const flat: (keyof typeof FLAT_TO_SECTION)[] = [];
    const pick = <T>(own: T | undefined, key: keyof typeof FLAT_TO_SECTION, old: T, unset: T): T => {
      if (own !== undefined) return own;
      if (old !== unset) flat.push(key);
      return old;
    };
    const tokenFile = pick(s.botTokenFile, 'slackBotTokenFile', config.slackBotTokenFile, null);
    const token = secret(env, 'FIELDSCOPE_SLACK_BOT_TOKEN', tokenFile);
    if (!token) return null;
    const channel = pick(s.channel, 'slackChannel', config.slackChannel, null);
    if (!channel)
      throw new NotifyConfigError('a Slack bot token is set but notify.slack.channel is not: say where the bot posts (channel id, #name or user id)');
    const apiUrl = pick(s.apiUrl, 'slackApiUrl', config.slackApiUrl, defaults.slackApiUrl);
    for (const key of flat) warn(`${key} is deprecated: use notify.slack.${FLAT_TO_SECTION[key]} (docs/slack-bot.md)`);
    return new SlackBotChannel({ token, channel, apiUrl });
  },
};
