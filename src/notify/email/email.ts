import nodemailer, { type Transporter } from 'nodemailer';
import type { Channel, Notice } from '../channel.js';
import { noticeLine, subject } from '../channel.js';
import { secret, stringSettings, type ChannelPlugin } from '../plugin.js';

export interface SmtpOptions {
  host: string;
  port: number;
  /** TLS from the first byte (465); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  user: string | null;
  password: string | null;
  from: string;
  to: string[];
}

/** Email over SMTP through nodemailer: one mail per (grouped) notification. */
export class EmailChannel implements Channel {
  readonly type = 'email' as const;
  private readonly transport: Transporter;

  constructor(
    private readonly opts: SmtpOptions,
    readonly name = 'email',
  ) {
    this.transport = nodemailer.createTransport({
      host: opts.host,
      port: opts.port,
      secure: opts.secure,
      auth: opts.user ? { user: opts.user, pass: opts.password ?? '' } : undefined,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
  }

  async send(notices: Notice[]): Promise<void> {
    await this.transport.sendMail({
      from: this.opts.from,
      to: this.opts.to,
      subject: subject(notices),
      text: notices.map(noticeLine).join('\n') + '\n\n-- Fieldscope\n',
    });
  }

  close(): void {
    this.transport.close();
  }
}

/** E-mail over SMTP, from the --smtp-* and --email-* settings; the password from FIELDSCOPE_SMTP_PASSWORD or its file. */
export const email: ChannelPlugin = {
  type: 'email',
  create(section, env, config) {
    stringSettings('notify.email', section, [] as const);
    if (!config.smtpHost || !config.emailTo) return null;
    return new EmailChannel({
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
    });
  },
};
