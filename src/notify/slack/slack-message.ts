import type { Severity } from '../../model/alarm.js';
import type { Notice } from '../channel.js';
import { noticeLine, subject, worstSeverity } from '../channel.js';

const COLOR: Record<Severity, string> = { critical: '#b00020', major: '#e65100', minor: '#f9a825', warning: '#fbc02d', info: '#1976d2' };

/** Slack incoming-webhook message: fallback text plus one attachment (colour by worst severity). */
export function slackMessage(notices: Notice[]) {
  const worst = worstSeverity(notices) ?? 'info';
  return {
    text: subject(notices),
    attachments: [{ color: COLOR[worst], mrkdwn_in: ['text'], text: notices.map((n) => '• ' + noticeLine(n)).join('\n') }],
  };
}
