// A live WebSocket client for tests: subscribed and answered (ping/pong) before it is handed over.
import WebSocket from 'ws';
import { until } from './app.js';
import type { LiveServerMessage } from '../../src/model/live.js';

export interface LiveFeed {
  /** WebSocket messages as they came. */
  frames: LiveServerMessage[];
  /** The messages inside them, batches opened. */
  messages: () => LiveServerMessage[];
  /** How many messages of a type about one device came. */
  of: (type: string, device: string) => number;
  close(): void;
}

/** Opens /api/v1/live with `query`, subscribes to `devices`, and returns once the server has answered a ping. */
export async function liveFeed(httpUrl: string, query: string, devices: string[] | '*'): Promise<LiveFeed> {
  const ws = new WebSocket(httpUrl.replace('http', 'ws') + '/api/v1/live' + query);
  const frames: LiveServerMessage[] = [];
  ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as LiveServerMessage));
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ op: 'subscribe', devices }));
  ws.send(JSON.stringify({ op: 'ping' }));
  await until(() => frames.some((m) => m.type === 'pong'), { what: 'pong' });
  const messages = () => frames.flatMap((f) => (f.type === 'batch' ? f.messages : [f]));
  return {
    frames,
    messages,
    of: (type, device) => messages().filter((m) => m.type === type && (m as { device?: string }).device === device).length,
    close: () => ws.close(),
  };
}
