import nodemailer, { type Transporter } from 'nodemailer';
import type { Channel, Notice } from './channel.js';
import { noticeLine, subject } from './channel.js';

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
