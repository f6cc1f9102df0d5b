import type { ChannelPlugin } from './plugin.js';
import { webhook } from './webhook/webhook.js';
import { slack } from './slack/slack.js';
import { email } from './email/email.js';
import { teams } from './teams/teams.js';
import { slackBot } from './slack-bot/slack-bot.js';

/** Every kind of notification channel, by type: a new channel is one folder and one line here. */
export const channelPlugins: readonly ChannelPlugin[] = [webhook, slack, email, teams, slackBot];
