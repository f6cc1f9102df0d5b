import type { Profile } from '../../../src/model/device.js';
import type { DeviceRow } from '../state/filter.js';
import { type FleetStatus, primaryMetric } from '../state/fleet.js';
import type { FleetHistory } from '../state/fleet-history.js';
import { formatDateTime, formatPercent, formatValue, relativeTime } from '../state/format.js';
import { enumLabel, metricLabel, profileLabel } from '../state/profiles.js';
import { assignSlots, visibleRange } from '../state/row-window.js';
import { hrefs } from '../hooks/useRoute.js';
import type { Language } from '../i18n/catalogues.js';
import { SPARK_H, SPARK_W, sparkline } from './sparkline.js';

const SVG = 'http://www.w3.org/2000/svg';

export const ROW_PX = 36;
const OVERSCAN = 8;
/** A row is asked for its last hour once it has been on screen this long: a fast scroll past it costs nothing. */
/** The ticker leaves "3 s ago" alone when new row data wrote it this recently (ms). */
const TICK_SKIP_MS = 900;
const SETTLE_MS = 250;
/** The sparkline spans an hour in 120 px: its time axis moves one pixel per 30 s. */
const SPARK_PX_MS = 3_600_000 / SPARK_W;

export interface RowLabels {
  status: Record<FleetStatus, string>;
  noProfile: string;
  never: string;
  sparkline(metric: string): string;
  completenessTitle(received: number, expected: number): string;
}

export interface RowData {
  rows: DeviceRow[];
  profiles: { get(name: string | null | undefined): Profile | undefined };
  status(d: DeviceRow): FleetStatus;
  alarms(id: string): number;
  now(): number;
  lang: Language;
  labels: RowLabels;
}

/** What a row element shows now, so an update writes only what changed. */
interface Shown {
  device: DeviceRow | null;
  status: string;
  statusText: string;
  name: string;
  profile: string;
  profileTitle: string;
  site: string;
  latest: string;
  alarms: number;
  completeness: string;
  completenessTitle: string;
  seenTs: number;
  seen: string;
  spark: unknown;
  sparkLatest: unknown;
  sparkTick: number;
  /** The path and point count written to the row's sparkline (compared here, never read back from the DOM). */
  sparkPath: string;
  sparkPoints: number;
  sparkLabel: string;
  lang: string;
}

/**
 * What no cell ever shows: a reset row (another device in it) writes every cell again, even one whose
 * new text is empty ('' as the reset value left the last device's site or latest value in the row).
 */
const UNSHOWN = '\u0000';

interface Slot {
  index: number;
  tr: HTMLTableRowElement;
  status: HTMLSpanElement;
  link: HTMLAnchorElement;
  name: HTMLSpanElement;
  profile: HTMLTableCellElement;
  site: HTMLTableCellElement;
  spark: SVGSVGElement;
  path: SVGPathElement;
  latest: HTMLSpanElement;
  alarms: HTMLTableCellElement;
  completeness: HTMLTableCellElement;
  time: HTMLTimeElement;
  shown: Shown;
  /** The device this element shows (its hour is asked for when the timer fires). */
  deviceId: string | null;
  settle: ReturnType<typeof setTimeout> | null;
  /** What the row was last written from: the same row data, hour and sparkline pixel need no writing again. */
  from: { data: RowData | null; entry: unknown; tick: number; index: number };
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, parent: Node, className?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  parent.appendChild(e);
  return e;
}

function setText(node: HTMLElement, text: string): void {
  // One text node, changed in place: no new nodes for the layout to take in.
  const first = node.firstChild;
  if (first && first.nodeType === 3 && first === node.lastChild) (first as Text).data = text;
  else node.textContent = text;
}

const emptyShown = (): Shown => ({
  device: null,
  status: UNSHOWN,
  statusText: UNSHOWN,
  name: UNSHOWN,
  profile: UNSHOWN,
  profileTitle: UNSHOWN,
  site: UNSHOWN,
  latest: UNSHOWN,
  alarms: -1,
  completeness: UNSHOWN,
  completenessTitle: UNSHOWN,
  seenTs: -1,
  seen: UNSHOWN,
  spark: undefined,
  sparkLatest: undefined,
  sparkTick: -1,
  sparkPath: UNSHOWN,
  sparkPoints: -1,
  sparkLabel: UNSHOWN,
  lang: UNSHOWN,
});

/**
 * The fleet table's rows: a fixed pool of `<tr>` elements (the rows on screen and a few more),
 * recycled as the table scrolls and written in place, outside React. Scrolling by a row moves one
 * element and rewrites its cells; a live update rewrites only the cells whose text changed; a
 * sparkline is repainted when its data changed or its time axis moved a pixel. React renders the
 * table around it (header, sorting) and hands it the sorted rows.
 */
export class DeviceTableRows {
  private slots: Slot[] = [];
  private data: RowData | null = null;
  private readonly top: HTMLTableRowElement;
  private readonly bottom: HTMLTableRowElement;
  private readonly topCell: HTMLTableCellElement;
  private readonly bottomCell: HTMLTableCellElement;
  private readonly offHistory: () => void;
  private readonly ticker: ReturnType<typeof setInterval>;
  private readonly resize: ResizeObserver | null;
  private spacerPx = [-1, -1];
  /** The scroller's height, from the ResizeObserver: not read on every scroll (a read after a write lays out). */
  private viewportPx = 0;
  private readonly onScroll = () => this.update(false);
  /** When set() last wrote the rows on screen (performance.now()). */
  private filledAt = -Infinity;

  constructor(
    private readonly scroller: HTMLElement,
    private readonly body: HTMLTableSectionElement,
    private readonly history: FleetHistory,
  ) {
    const spacer = (): [HTMLTableRowElement, HTMLTableCellElement] => {
      const tr = document.createElement('tr');
      tr.className = 'fleet-spacer';
      tr.setAttribute('aria-hidden', 'true');
      const td = el('td', tr);
      td.colSpan = 8;
      return [tr, td];
    };
    [this.top, this.topCell] = spacer();
    [this.bottom, this.bottomCell] = spacer();
    body.replaceChildren(this.top, this.bottom);
    scroller.addEventListener('scroll', this.onScroll, { passive: true });
    // Answers for the rows on screen: their sparkline and completeness, written when they come.
    this.offHistory = history.subscribe(() => this.update(false));
    // "3s ago" moves on once a second; the rest of a row only when its device or the history changes.
    this.ticker = setInterval(() => this.tick(), 1000);
    this.resize =
      typeof ResizeObserver === 'function'
        ? new ResizeObserver((entries) => {
            const h = entries[entries.length - 1]?.contentRect.height;
            if (h > 0) this.viewportPx = h;
            this.update(false);
          })
        : null;
    this.resize?.observe(scroller);
  }

  /** New rows (sorted, filtered, live values), language or labels: the rows on screen are brought up to date. */
  set(data: RowData): void {
    const force = !!this.data && (this.data.lang !== data.lang || this.data.labels !== data.labels);
    this.data = data;
    this.update(force);
    this.filledAt = performance.now();
  }

  destroy(): void {
    this.scroller.removeEventListener('scroll', this.onScroll);
    this.offHistory();
    clearInterval(this.ticker);
    this.resize?.disconnect();
    for (const s of this.slots) this.release(s);
    this.slots = [];
    this.body.replaceChildren();
  }

  private update(force: boolean): void {
    const data = this.data;
    if (!data) return;
    const count = data.rows.length;
    const { start, end } = visibleRange(this.scroller.scrollTop, this.viewportPx || this.scroller.clientHeight || 600, ROW_PX, count, OVERSCAN);
    const { order, spare, reassigned } = assignSlots(this.slots, start, end, () => this.createSlot());
    for (const sl of spare) {
      this.release(sl);
      sl.deviceId = null;
      sl.tr.remove();
    }
    // Elements that took another row leave the DOM and go back in at their place; the others keep
    // their rows and are already in row order, so scrolling by a row moves one element.
    for (const sl of reassigned) sl.tr.remove();
    let ref: ChildNode | null = this.top.nextSibling;
    for (const sl of order) {
      if (sl.tr.parentNode !== this.body) this.body.insertBefore(sl.tr, ref);
      else ref = sl.tr.nextSibling;
    }
    this.slots = order;
    this.spacer(0, start * ROW_PX);
    this.spacer(1, (count - end) * ROW_PX);
    for (const s of order) this.fill(s, data, force);
  }

  private spacer(which: 0 | 1, px: number): void {
    if (this.spacerPx[which] === px) return;
    this.spacerPx[which] = px;
    const [tr, td] = which === 0 ? [this.top, this.topCell] : [this.bottom, this.bottomCell];
    tr.hidden = px === 0;
    td.style.height = `${px}px`;
  }

  private createSlot(): Slot {
    const tr = document.createElement('tr');
    const status = el('span', el('td', tr));
    const idCell = el('td', tr, 'fleet-id');
    const link = el('a', idCell);
    const name = el('span', idCell, 'fleet-name');
    const profile = el('td', tr);
    const site = el('td', tr);
    const spark = el('td', tr, 'fleet-spark');
    const svg = spark.appendChild(document.createElementNS(SVG, 'svg'));
    svg.setAttribute('class', 'sparkline');
    svg.setAttribute('role', 'img');
    svg.setAttribute('width', String(SPARK_W));
    svg.setAttribute('height', String(SPARK_H));
    svg.setAttribute('viewBox', `0 0 ${SPARK_W} ${SPARK_H}`);
    svg.style.display = 'none';
    const path = svg.appendChild(document.createElementNS(SVG, 'path'));
    const latest = el('span', spark, 'fleet-latest');
    const alarms = el('td', tr, 'fleet-num');
    const completeness = el('td', tr, 'fleet-num');
    const time = el('time', el('td', tr));
    return {
      index: -1,
      tr,
      status,
      link,
      name,
      profile,
      site,
      spark: svg,
      path,
      latest,
      alarms,
      completeness,
      time,
      shown: emptyShown(),
      deviceId: null,
      settle: null,
      from: { data: null, entry: undefined, tick: -1, index: -1 },
    };
  }

  /** The element no longer shows its device: an hour not yet asked for is not fetched. */
  private release(s: Slot): void {
    if (s.settle) clearTimeout(s.settle);
    s.settle = null;
    if (s.deviceId) this.history.forget(s.deviceId);
  }

  private fill(s: Slot, data: RowData, force: boolean): void {
    const d = data.rows[s.index];
    const e = this.history.get(d.id);
    const to = data.now();
    const tick = Math.floor(to / SPARK_PX_MS);
    const from = s.from;
    // A scroll event writes only the rows that came in: one that stayed, with the same row data (set
    // about once a second), hour and sparkline pixel, is as written ("3 s ago" is the ticker's).
    if (!force && from.data === data && from.entry === e && from.tick === tick && from.index === s.index && s.deviceId === d.id) return;
    from.data = data;
    from.entry = e;
    from.tick = tick;
    from.index = s.index;
    const lang = data.lang;
    const profile = data.profiles.get(d.profile);
    const metric = primaryMetric(d, profile);
    if (s.deviceId !== d.id) {
      const id = d.id;
      s.tr.dataset.testid = `device-row-${id}`;
      s.status.dataset.testid = `device-status-${id}`;
      s.alarms.dataset.testid = `device-row-alarms-${id}`;
      s.completeness.dataset.testid = `device-row-completeness-${id}`;
      s.link.href = hrefs.device(id);
      setText(s.link, id);
      this.release(s);
      s.deviceId = id;
      s.settle = setTimeout(() => {
        s.settle = null;
        this.history.want(id, metric);
      }, SETTLE_MS);
      // Another device: every cell below is written afresh.
      s.shown = emptyShown();
    } else if (force) s.shown = emptyShown();
    const shown = s.shown;
    if (s.tr.dataset.index !== String(s.index)) {
      s.tr.dataset.index = String(s.index);
      s.tr.setAttribute('aria-rowindex', String(s.index + 2));
    }
    const status = data.status(d);
    if (shown.status !== status) {
      shown.status = status;
      s.tr.className = `fleet-row fr-${status}`;
      s.tr.dataset.status = status;
      s.status.className = `fleet-status fs-${status}`;
    }
    if (shown.statusText !== data.labels.status[status]) setText(s.status, (shown.statusText = data.labels.status[status]));
    const name = d.name ? ` ${d.name}` : '';
    if (shown.name !== name) setText(s.name, (shown.name = name));
    const profileText = d.profile ? profileLabel(profile, d.profile, lang) : data.labels.noProfile;
    if (shown.profile !== profileText) setText(s.profile, (shown.profile = profileText));
    const profileTitle = d.profile ?? '';
    if (shown.profileTitle !== profileTitle) {
      shown.profileTitle = profileTitle;
      if (profileTitle) s.profile.title = profileTitle;
      else s.profile.removeAttribute('title');
    }
    const site = (typeof d.attributes?.site === 'string' && d.attributes.site) || d.location || '';
    if (shown.site !== site) setText(s.site, (shown.site = site));

    const latest = metric ? d.latest[metric] : undefined;
    const spec = metric ? profile?.metrics[metric] : undefined;
    const latestText = metric && latest ? `${enumLabel(spec, latest.value, lang) ?? formatValue(latest.value, lang)}${spec?.unit ? ` ${spec.unit}` : ''}` : '';
    if (shown.latest !== latestText) setText(s.latest, (shown.latest = latestText));
    const spark = metric && e?.spark ? e.spark : null;
    if (shown.spark !== spark || (spark && (shown.sparkLatest !== latest || shown.sparkTick !== tick))) {
      shown.spark = spark;
      shown.sparkLatest = latest;
      shown.sparkTick = tick;
      const line = spark ? sparkline(spark.ts, spark.values, to - 3_600_000, to, latest) : { d: '', points: 0 };
      // The same path to half a pixel (most live values): nothing to lay out or paint again.
      if (shown.sparkPath !== line.d) s.path.setAttribute('d', (shown.sparkPath = line.d));
      if (shown.sparkPoints !== line.points) s.spark.dataset.points = String((shown.sparkPoints = line.points));
      const display = spark ? '' : 'none';
      if (s.spark.style.display !== display) s.spark.style.display = display;
    }
    const sparkLabel = metric ? data.labels.sparkline(metricLabel(profile, metric, lang)) : '';
    if (shown.sparkLabel !== sparkLabel) s.spark.setAttribute('aria-label', (shown.sparkLabel = sparkLabel));

    const alarms = data.alarms(d.id);
    if (shown.alarms !== alarms) {
      shown.alarms = alarms;
      if (alarms > 0) {
        const badge = document.createElement('span');
        badge.className = 'alarm-badge sev-major';
        badge.textContent = `⚠ ${alarms}`;
        s.alarms.replaceChildren(badge);
      } else setText(s.alarms, '0');
    }
    const completeness = e ? (Number.isNaN(e.completeness) ? '—' : formatPercent(e.completeness, lang)) : '';
    if (shown.completeness !== completeness) setText(s.completeness, (shown.completeness = completeness));
    // Keyed by the counts: the catalogue lookup runs only when they change.
    const completenessKey = e && e.expected > 0 ? `${e.received}/${e.expected}` : '';
    if (shown.completenessTitle !== completenessKey) {
      shown.completenessTitle = completenessKey;
      const completenessTitle = e && e.expected > 0 ? data.labels.completenessTitle(e.received, e.expected) : '';
      if (completenessTitle) s.completeness.title = completenessTitle;
      else s.completeness.removeAttribute('title');
    }
    this.fillTime(s, d.lastSeen, lang, data.labels.never, data.now());
    shown.lang = lang;
    shown.device = d;
  }

  private fillTime(s: Slot, ts: number, lang: Language, never: string, now: number): void {
    const shown = s.shown;
    if (shown.seenTs !== ts || shown.lang !== lang) {
      shown.seenTs = ts;
      if (ts > 0) {
        s.time.dateTime = new Date(ts).toISOString();
        s.time.title = formatDateTime(ts, lang);
      } else {
        s.time.removeAttribute('datetime');
        s.time.removeAttribute('title');
      }
    }
    const text = relativeTime(ts, now, lang) ?? never;
    if (shown.seen !== text) setText(s.time, (shown.seen = text));
  }

  private tick(): void {
    const data = this.data;
    if (!data) return;
    // New row data (about once a second with a live fleet) wrote every row on screen, times
    // included: a second pass now would restyle and repaint the table a second time in the second.
    if (performance.now() - this.filledAt < TICK_SKIP_MS) return;
    const now = data.now();
    for (const s of this.slots) if (s.shown.device) this.fillTime(s, s.shown.device.lastSeen, data.lang, data.labels.never, now);
  }
}
