import { useNow } from '../hooks/useNow.js';
import { useServices } from '../services.js';
import { currentLanguage, useTranslation } from '../i18n/index.js';
import { formatDateTime, relativeTime } from '../state/format.js';

/**
 * "3s ago" / "3초 전", re-rendered on its own once a second (its parent does not re-render).
 * Measured against the server's clock, since the times it shows are the server's.
 */
export function RelativeTime({ ts, testId }: { ts: number; testId?: string }) {
  useNow();
  const { t } = useTranslation('general');
  const { live } = useServices();
  const lang = currentLanguage();
  const date = ts > 0 ? new Date(ts) : null;
  return (
    <time dateTime={date?.toISOString()} title={date ? formatDateTime(ts, lang) : undefined} data-testid={testId}>
      {relativeTime(ts, live.serverNow(), lang) ?? t('never')}
    </time>
  );
}
