import { createHmac } from 'node:crypto';
import type { Channel, Notice } from '../channel.js';
import { noticePayload, postJson, subject } from '../channel.js';
import { secret, stringSettings, type ChannelPlugin } from '../plugin.js';

export const SIGNATURE_HEADER = 'x-fieldscope-signature';

/** HMAC-SHA256 of the exact body bytes, hex, as `sha256=<hex>` (the GitHub convention). */
export function sign(secret: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

/** Generic webhook: JSON POST; signed when a secret is configured. */
export class WebhookChannel implements Channel {
  readonly type = 'webhook' as const;

  constructor(
    private readonly url: string,
    private readonly secret: string | null,
    readonly name = 'webhook',
  ) {}

  async send(notices: Notice[]): Promise<void> {
    const body = JSON.stringify({ source: 'fieldscope', sentAt: Date.now(), title: subject(notices), notifications: noticePayload(notices) });
    await postJson(this.url, body, this.secret ? { [SIGNATURE_HEADER]: sign(this.secret, body) } : {});
  }
}

/** `notify.webhook`: { url?, secretFile? } (or --webhook-url, --webhook-secret-file); the secret also from FIELDSCOPE_WEBHOOK_SECRET. */
export const webhook: ChannelPlugin = {
  type: 'webhook',
  create(section, env, config) {
    const s = stringSettings('notify.webhook', section, ['url', 'secretFile', 'name'] as const);
    const url = s.url ?? config.webhookUrl;
    if (!url) return null;
    return new WebhookChannel(url, secret(env, 'FIELDSCOPE_WEBHOOK_SECRET', s.secretFile ?? config.webhookSecretFile), s.name);
  },
};
