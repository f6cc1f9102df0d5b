import type { Channel, Notice } from './channel.js';
import { noticePayload, subject, worstSeverity } from './channel.js';
import type { LiveToast } from '../model/live.js';

/** The dashboard's toasts: handed to whoever listens (the live WebSocket hub). Never fails. */
export class WebSocketChannel implements Channel {
  readonly type = 'websocket' as const;
  private listeners = new Set<(t: LiveToast) => void>();

  constructor(readonly name = 'websocket') {}

  onToast(listener: (t: LiveToast) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async send(notices: Notice[]): Promise<void> {
    const toast: LiveToast = { type: 'toast', severity: worstSeverity(notices) ?? 'info', title: subject(notices), notices: noticePayload(notices) };
    for (const l of this.listeners) l(toast);
  }
}
