import { useNow } from '../hooks/useNow.js';
import { useServices } from '../services.js';
import { relativeTime } from '../state/format.js';

/**
 * "3 s ago", re-rendered on its own once a second (its parent does not re-render). Measured
 * against the server's clock, since the times it shows are the server's.
 */
export function RelativeTime({ ts, testId }: { ts: number; testId?: string }) {
  useNow();
  const { live } = useServices();
  const date = ts > 0 ? new Date(ts) : null;
  return (
    <time dateTime={date?.toISOString()} title={date?.toLocaleString()} data-testid={testId}>
      {relativeTime(ts, live.serverNow())}
    </time>
  );
}
