import { useSyncExternalStore } from 'react';
import { useServices } from '../services.js';
import { useTranslation } from '../i18n/index.js';

/** The live WebSocket's state, for the header. */
export function LiveStatus() {
  const { live } = useServices();
  const { t } = useTranslation();
  const state = useSyncExternalStore(
    (fn) => live.onState(fn),
    () => live.state,
  );
  return (
    <span
      className={`live live-${state}`}
      data-testid="live-status"
      data-state={state}
      role="status"
      aria-live="polite"
      title={t('live.title', { state: t(`live.${state}`) })}
    >
      <span className="live-dot" />
      <span className="live-label">{t(`live.${state}`)}</span>
    </span>
  );
}
