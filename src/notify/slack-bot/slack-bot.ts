import type { Channel, Notice } from '../channel.js';
import { slackMessage } from '../slack.js';
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

/**
 * Slack as a bot, read from the flat settings (slackChannel, slackApiUrl, slackBotTokenFile) so
 * `notify.slack` stays the webhook's section; the token is FIELDSCOPE_SLACK_BOT_TOKEN or the file.
 */
export const slackBot: ChannelPlugin = {
  type: 'slack',
  create(_section, env, config) {
    const token = secret(env, 'FIELDSCOPE_SLACK_BOT_TOKEN', config.slackBotTokenFile);
    if (!token) return null;
    if (!config.slackChannel)
      throw new NotifyConfigError('a Slack bot token is set but slackChannel is not: say where the bot posts (channel id, #name or user id)');
    return new SlackBotChannel({ token, channel: config.slackChannel, apiUrl: config.slackApiUrl });
  },
};
