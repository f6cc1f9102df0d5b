import type { Severity } from '../model/alarm.js';
import type { Channel, Notice } from './channel.js';
import { noticeLine, postJson, subject, worstSeverity } from './channel.js';
import { secret, stringSettings, type ChannelPlugin } from './plugin.js';

const COLOR: Record<Severity, string> = { critical: '#b00020', major: '#e65100', minor: '#f9a825', warning: '#fbc02d', info: '#1976d2' };

/** Slack incoming-webhook message: fallback text plus one attachment (colour by worst severity). */
export function slackMessage(notices: Notice[]) {
  const worst = worstSeverity(notices) ?? 'info';
  return {
    text: subject(notices),
    attachments: [{ color: COLOR[worst], mrkdwn_in: ['text'], text: notices.map((n) => '• ' + noticeLine(n)).join('\n') }],
  };
}

export class SlackChannel implements Channel {
  readonly type = 'slack' as const;

  constructor(
    private readonly webhookUrl: string,
    readonly name = 'slack',
  ) {}

  async send(notices: Notice[]): Promise<void> {
    await postJson(this.webhookUrl, JSON.stringify(slackMessage(notices)));
  }
}

/** `notify.slack`: { webhookUrlFile? } (or --slack-webhook-url-file); the URL holds a token: FIELDSCOPE_SLACK_WEBHOOK_URL or the file. */
export const slack: ChannelPlugin = {
  type: 'slack',
  create(section, env, config) {
    const s = stringSettings('notify.slack', section, ['webhookUrlFile', 'name'] as const);
    const url = secret(env, 'FIELDSCOPE_SLACK_WEBHOOK_URL', s.webhookUrlFile ?? config.slackWebhookUrlFile);
    return url ? new SlackChannel(url, s.name) : null;
  },
};
