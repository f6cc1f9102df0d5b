import { useNow } from '../hooks/useNow.js';
import { relativeTime } from '../state/format.js';

/** "3 s ago", re-rendered on its own once a second (its parent does not re-render). */
export function RelativeTime({ ts, testId }: { ts: number; testId?: string }) {
  const now = useNow();
  const date = ts > 0 ? new Date(ts) : null;
  return (
    <time dateTime={date?.toISOString()} title={date?.toLocaleString()} data-testid={testId}>
      {relativeTime(ts, Math.max(now, Date.now()))}
    </time>
  );
}
