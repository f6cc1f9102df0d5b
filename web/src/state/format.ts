import type { Language } from '../i18n/catalogues.js';

const relFormats = new Map<string, Intl.RelativeTimeFormat>();
const numFormats = new Map<string, Intl.NumberFormat>();
const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

function relFormat(lang: Language): Intl.RelativeTimeFormat {
  let f = relFormats.get(lang);
  if (!f) relFormats.set(lang, (f = new Intl.RelativeTimeFormat(lang, { numeric: 'auto', style: 'narrow' })));
  return f;
}

/**
 * "3s ago", "4m ago", "2h ago", "2d ago", "in 5s" (Korean "3초 전" ...), by Intl for the language;
 * null for a time that never was (ts 0), which the caller words itself.
 */
export function relativeTime(ts: number, now: number, lang: Language = 'en'): string | null {
  if (!Number.isFinite(ts) || ts <= 0) return null;
  const diff = ts - now;
  const abs = Math.abs(diff);
  const sign = diff < 0 ? -1 : 1;
  const f = relFormat(lang);
  if (abs < 1000) return f.format(0, 'second');
  if (abs < 60_000) return f.format(sign * Math.floor(abs / 1000), 'second');
  if (abs < 3_600_000) return f.format(sign * Math.floor(abs / 60_000), 'minute');
  if (abs < 86_400_000) return f.format(sign * Math.floor(abs / 3_600_000), 'hour');
  return f.format(sign * Math.floor(abs / 86_400_000), 'day');
}

/** A reading for display: enough significant digits to see change, no float noise, the language's digits. */
export function formatValue(value: number, lang: Language = 'en'): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const digits = Number.isInteger(value) ? 0 : abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 10 ? 2 : abs >= 1 ? 3 : 4;
  const key = `${lang}:${digits}`;
  let f = numFormats.get(key);
  // No grouping: readings keep their width as they change, on cards and in tables alike.
  if (!f) numFormats.set(key, (f = new Intl.NumberFormat(lang, { maximumFractionDigits: digits, useGrouping: false })));
  return f.format(value);
}

/** A date and time in the language's own order ("2026. 11. 27. 오후 8:27:11" in Korean). */
export function formatDateTime(ts: number, lang: Language = 'en', withSeconds = true): string {
  // One formatter per language and form: toLocaleString with options builds a new Intl.DateTimeFormat
  // on every call, which the profile of the scrolling fleet table showed as its costliest function.
  const key = `${lang}|${withSeconds}`;
  let f = dateTimeFormats.get(key);
  if (!f)
    dateTimeFormats.set(
      key,
      (f = new Intl.DateTimeFormat(lang, {
        year: 'numeric',
        month: 'short',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        second: withSeconds ? '2-digit' : undefined,
      })),
    );
  return f.format(new Date(ts));
}

/** A day for a time axis or range ("Nov 29", "11월 29일"; with the year, "Nov 29, 2026"). */
export function formatAxisDay(ts: number, lang: Language = 'en', withYear = false): string {
  return dateTimeFormat(`${lang}|axis-day|${withYear}`, lang, { year: withYear ? 'numeric' : undefined, month: 'short', day: 'numeric' }).format(ts);
}

/** A time of day for a time axis, with seconds when the ticks are closer than a minute. */
export function formatAxisTime(ts: number, lang: Language = 'en', withSeconds = true): string {
  return dateTimeFormat(`${lang}|axis-time|${withSeconds}`, lang, { hour: '2-digit', minute: '2-digit', second: withSeconds ? '2-digit' : undefined }).format(
    ts,
  );
}

function dateTimeFormat(key: string, lang: Language, o: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  // toLocaleDateString / toLocaleTimeString with options build a formatter per call: a chart's axis
  // formats its ticks on every draw (each frame of a live chart), ~1 ms a tick on the first page.
  let f = dateTimeFormats.get(key);
  if (!f) dateTimeFormats.set(key, (f = new Intl.DateTimeFormat(lang, o)));
  return f;
}

/** A percentage, e.g. 99.95 % / 99.95%. */
export function formatPercent(ratio: number, lang: Language = 'en'): string {
  // Kept per language and form: a table of thousands formats one per row it renders, and making an
  // Intl.NumberFormat costs far more than formatting with one.
  const digits = ratio < 1 ? 2 : 0;
  const key = `${lang}|%|${digits}`;
  let f = numFormats.get(key);
  if (!f) numFormats.set(key, (f = new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: digits })));
  return f.format(ratio);
}

/** A count with the language's grouping (5,000). */
export function formatCount(n: number, lang: Language = 'en'): string {
  const key = `${lang}|count`;
  let f = numFormats.get(key);
  if (!f) numFormats.set(key, (f = new Intl.NumberFormat(lang)));
  return f.format(n);
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
