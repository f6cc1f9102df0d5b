import { useState } from 'react';
import type { Alarm } from '../../../src/model/alarm.js';
import { useThrottledStore } from '../hooks/useThrottled.js';
import { hrefs } from '../hooks/useRoute.js';
import { useServices } from '../services.js';
import { useTranslation } from '../i18n/index.js';
import { AlarmActionForm } from './AlarmAction.js';
import { isSystemAlarm, isSticky, type Toast } from '../state/alarms.js';

const EVENTS = ['raised', 'cleared', 'auto_cleared', 'acked'] as const;

/**
 * New alarms (and their acks and clears) as a few toasts above the page, in the flow (so they
 * never cover the chart's controls or its export button); more collapse into a count. Only a
 * raised critical alarm waits to be dismissed. An open alarm can be acked from its toast.
 */
export function Toasts() {
  const { toasts, alarms } = useServices();
  const { t: tr } = useTranslation('alarms');
  const { t: g } = useTranslation('general');
  useThrottledStore(toasts, 50);
  useThrottledStore(alarms, 250);
  const [acking, setAcking] = useState<number | null>(null);
  const list = toasts.list();
  if (!list.length) return null;
  const title = (t: Toast, alarm: Alarm | undefined) => {
    const ev = EVENTS.find((e) => e === t.event);
    return alarm && ev ? tr(`event.${ev}`, { rule: alarm.ruleName, device: isSystemAlarm(alarm) ? alarm.metric : alarm.device }) : t.title;
  };
  return (
    <div className="toasts" role="region" aria-label={tr('toasts')} aria-live="polite" data-testid="toasts">
      {list.map((t) => {
        const alarm = t.alarmId !== null ? alarms.get(t.alarmId) : undefined;
        return (
          <div
            key={t.id}
            className={`toast sev-${t.severity}`}
            data-testid="toast"
            data-alarm={t.alarmId ?? ''}
            data-event={t.event ?? ''}
            data-sticky={isSticky(t)}
          >
            <div className="toast-head">
              <span className={`sev sev-${t.severity}`}>{g(`severity.${t.severity}`)}</span>
              <span className="toast-title">{title(t, alarm)}</span>
              <button type="button" className="icon-btn" aria-label={tr('dismiss')} title={tr('dismiss')} onClick={() => toasts.dismiss(t.id)}>
                ×
              </button>
            </div>
            {t.text && t.text !== title(t, alarm) && <div className="toast-text">{t.text}</div>}
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
                    {tr('acknowledge')}
                  </button>
                ) : null}
                {t.device && alarm && isSystemAlarm(alarm) ? (
                  <a className="btn btn-small" href={hrefs.alarms()}>
                    {tr('openAlarms')}
                  </a>
                ) : t.device ? (
                  <a className="btn btn-small" href={hrefs.device(t.device)}>
                    {tr('openDevice', { device: t.device })}
                  </a>
                ) : null}
              </div>
            )}
          </div>
        );
      })}
      {toasts.collapsed > 0 && (
        <div className="toast-more" data-testid="toast-more" data-count={toasts.collapsed}>
          <span>{tr('more', { count: toasts.collapsed })}</span>
          <button type="button" className="link-btn" onClick={() => toasts.dismissAll()} data-testid="toast-dismiss-all">
            {tr('dismissAll')}
          </button>
        </div>
      )}
    </div>
  );
}
