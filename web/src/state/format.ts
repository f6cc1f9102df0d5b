/** "3 s ago", "4 min ago", "2 h ago", "5 d ago"; "in 3 s" for a time ahead of now. */
export function relativeTime(ts: number, now: number): string {
  if (!Number.isFinite(ts) || ts <= 0) return 'never';
  const diff = now - ts;
  const abs = Math.abs(diff);
  let text: string;
  if (abs < 1000) return 'just now';
  if (abs < 60_000) text = `${Math.floor(abs / 1000)} s`;
  else if (abs < 3_600_000) text = `${Math.floor(abs / 60_000)} min`;
  else if (abs < 86_400_000) text = `${Math.floor(abs / 3_600_000)} h`;
  else text = `${Math.floor(abs / 86_400_000)} d`;
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}

/** A reading for display: enough significant digits to see change, no float noise. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 10 ? 2 : abs >= 1 ? 3 : 4;
  return value
    .toFixed(digits)
    .replace(/(\.\d*?)0+$/, '$1')
    .replace(/\.$/, '');
}

/**
 * An instant for the chart's tooltip: the locale's date and time, with the fraction of a second
 * when there is one, to the µs (a 2 kHz sensor's samples are 0.5 ms apart and must read apart).
 */
export function formatInstant(ts: number, locale?: string, timeZone?: string): string {
  const us = Math.round(ts * 1000);
  const ms = Math.floor(us / 1000);
  const date = new Date(ms);
  if (us % 1_000_000 === 0) return date.toLocaleString(locale, timeZone ? { timeZone } : undefined);
  const sub = us - ms * 1000;
  const parts = new Intl.DateTimeFormat(locale, {
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    second: '2-digit',
    fractionalSecondDigits: 3,
    ...(timeZone ? { timeZone } : {}),
  }).formatToParts(date);
  return parts.map((p) => (p.type === 'fractionalSecond' && sub ? p.value + String(sub).padStart(3, '0') : p.value)).join('');
}
