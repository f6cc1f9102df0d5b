import type { Channel, Notice } from '../channel.js';
import { postJson } from '../channel.js';
import { secret, type ChannelPlugin } from '../plugin.js';
import { slackMessage } from './slack-message.js';
import { slackSection } from './slack-section.js';

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

/** `notify.slack`: { webhookUrlFile?, name? } (or --slack-webhook-url-file); the URL holds a token: FIELDSCOPE_SLACK_WEBHOOK_URL or the file. */
export const slack: ChannelPlugin = {
  type: 'slack',
  create(section, env, config) {
    const s = slackSection(section);
    const url = secret(env, 'FIELDSCOPE_SLACK_WEBHOOK_URL', s.webhookUrlFile ?? config.slackWebhookUrlFile);
    return url ? new SlackChannel(url, s.name) : null;
  },
};
