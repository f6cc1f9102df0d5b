import { checkWebhookUrl, stringSettings } from '../plugin.js';

/**
 * `notify.slack`, the one Slack section: the incoming webhook (webhookUrlFile, name) and the bot
 * (botTokenFile, channel, apiUrl); either or both. Secrets stay in files or the environment.
 */
export function slackSection(section: unknown) {
  const s = stringSettings('notify.slack', section, ['webhookUrlFile', 'name', 'botTokenFile', 'channel', 'apiUrl'] as const);
  if (s.apiUrl) checkWebhookUrl('notify.slack.apiUrl', s.apiUrl);
  return s;
}
