import type { Severity } from '../../model/alarm.js';
import type { Channel, Notice } from '../channel.js';
import { noticeLine, postJson, subject, worstSeverity } from '../channel.js';
import { checkWebhookUrl, secret, stringSettings, type ChannelPlugin } from '../plugin.js';

const COLOR: Record<Severity, string> = { critical: 'B00020', major: 'E65100', minor: 'F9A825', warning: 'FBC02D', info: '1976D2' };

/** A Microsoft Teams incoming-webhook MessageCard: title, colour by worst severity, one section per notice. */
export function teamsCard(notices: Notice[]) {
  const worst = worstSeverity(notices) ?? 'info';
  return {
    '@type': 'MessageCard',
    '@context': 'https://schema.org/extensions',
    summary: subject(notices),
    themeColor: COLOR[worst],
    title: subject(notices),
    sections: notices.map((n) => ({
      text: noticeLine(n),
      facts: n.alarm
        ? [
            { name: 'Device', value: n.alarm.device },
            { name: 'Severity', value: n.alarm.severity },
            { name: 'Alarm', value: String(n.alarm.id) },
            { name: 'At', value: new Date(n.at).toISOString() },
          ]
        : [{ name: 'At', value: new Date(n.at).toISOString() }],
    })),
  };
}

export class TeamsChannel implements Channel {
  readonly type = 'teams' as const;

  constructor(
    private readonly webhookUrl: string,
    readonly name = 'teams',
  ) {}

  async send(notices: Notice[]): Promise<void> {
    await postJson(this.webhookUrl, JSON.stringify(teamsCard(notices)));
  }
}

/**
 * `notify.teams`: { webhookUrlFile?, name? }. The URL holds a token, so it comes from
 * FIELDSCOPE_TEAMS_WEBHOOK_URL or the file, never from the config file itself.
 */
export const teams: ChannelPlugin = {
  type: 'teams',
  create(section, env) {
    const s = stringSettings('notify.teams', section, ['webhookUrlFile', 'name'] as const);
    const url = secret(env, 'FIELDSCOPE_TEAMS_WEBHOOK_URL', s.webhookUrlFile);
    if (!url) return null;
    return new TeamsChannel(checkWebhookUrl(env.FIELDSCOPE_TEAMS_WEBHOOK_URL ? 'FIELDSCOPE_TEAMS_WEBHOOK_URL' : 'notify.teams.webhookUrlFile', url), s.name);
  },
};
