import type { Analytics, AnalyticsOptions } from '../analytics/live-stats.js';
import type { AlarmEngine } from '../alarms/engine.js';
import type { Dispatcher } from '../notify/dispatcher.js';
import type { WebSocketChannel } from '../notify/websocket.js';
import type { SystemAlarms } from '../alarms/system-alarms.js';

/** Analytics, alarms and notifications as handed to the API (optional among the HTTP server's parts). */
export interface AlarmServices {
  analytics: Analytics;
  analyticsOptions: AnalyticsOptions;
  engine: AlarmEngine;
  dispatcher: Dispatcher;
  toasts: WebSocketChannel;
  /** Alarms about Fieldscope itself, held in memory while the store cannot take them. */
  system?: SystemAlarms;
}
