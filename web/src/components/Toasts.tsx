import { useState } from 'react';
import { useThrottledStore } from '../hooks/useThrottled.js';
import { hrefs } from '../hooks/useRoute.js';
import { useServices } from '../services.js';
import { AlarmActionForm } from './AlarmAction.js';
import { isSystemAlarm } from '../state/alarms.js';

/** New alarms (and their acks and clears) as toasts in a corner; an open alarm can be acked from one. */
export function Toasts() {
  const { toasts, alarms } = useServices();
  useThrottledStore(toasts, 50);
  useThrottledStore(alarms, 250);
  const [acking, setAcking] = useState<number | null>(null);
  const list = toasts.list();
  if (!list.length) return null;
  return (
    <div className="toasts" role="region" aria-label="notifications" aria-live="polite">
      {list.map((t) => {
        const alarm = t.alarmId !== null ? alarms.get(t.alarmId) : undefined;
        return (
          <div key={t.id} className={`toast sev-${t.severity}`} data-testid="toast" data-alarm={t.alarmId ?? ''}>
            <div className="toast-head">
              <span className={`sev sev-${t.severity}`}>{t.severity}</span>
              <span className="toast-title">{t.title}</span>
              <button type="button" className="icon-btn" aria-label="dismiss" onClick={() => toasts.dismiss(t.id)}>
                ×
              </button>
            </div>
            {t.text && <div className="toast-text">{t.text}</div>}
            {alarm && acking === alarm.id ? (
              <AlarmActionForm
                alarm={alarm}
                action="ack"
                onDone={(a) => {
                  setAcking(null);
                  if (a) toasts.dismiss(t.id);
                }}
              />
            ) : (
              <div className="toast-actions">
                {/* A system alarm raised while the store was down has no stored id yet (negative): nothing to ack. */}
                {alarm && alarm.id > 0 && (alarm.status === 'active_unacked' || alarm.status === 'cleared_unacked') ? (
                  <button type="button" className="btn btn-small" data-testid={`toast-ack-${alarm.id}`} onClick={() => setAcking(alarm.id)}>
                    Acknowledge
                  </button>
                ) : null}
                {t.device && alarm && isSystemAlarm(alarm) ? (
                  <a className="btn btn-small" href={hrefs.alarms()}>
                    Open alarms
                  </a>
                ) : t.device ? (
                  <a className="btn btn-small" href={hrefs.device(t.device)}>
                    Open {t.device}
                  </a>
                ) : null}
              </div>
            )}
          </div>
        );
      })}
    </div>
  );
}
