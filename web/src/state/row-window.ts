/**
 * Which rows of a long list are in the DOM, and which recycled element shows which row: rows that
 * stay on screen keep their element (nothing about them is written again), and an element whose
 * row scrolled out is handed to a row that scrolled in. Scrolling by one row rewrites one element.
 */

/** The rows [start, end) that are on screen in a scroller of fixed-height rows, with `overscan` more each side. */
export function visibleRange(scrollTop: number, viewport: number, rowPx: number, count: number, overscan: number): { start: number; end: number } {
  if (count <= 0 || rowPx <= 0) return { start: 0, end: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowPx);
  const last = Math.ceil((Math.max(0, scrollTop) + Math.max(0, viewport)) / rowPx);
  const start = Math.max(0, Math.min(count, first - overscan));
  const end = Math.max(start, Math.min(count, last + overscan));
  return { start, end };
}

export interface Slot {
  /** The row this element shows; -1 for none yet. */
  index: number;
}

/**
 * The elements for rows [start, end), in row order: `slots` keep their row if it is still in the
 * range; the others (and new ones from `create`, when the range grew) take the rows that came
 * in. Returns the new order and the elements left over (the range shrank), for the caller to drop.
 */
export function assignSlots<S extends Slot>(slots: S[], start: number, end: number, create: () => S): { order: S[]; spare: S[]; reassigned: S[] } {
  const n = Math.max(0, end - start);
  const order: (S | undefined)[] = new Array(n);
  const free: S[] = [];
  for (const s of slots) {
    if (s.index >= start && s.index < end && order[s.index - start] === undefined) order[s.index - start] = s;
    else free.push(s);
  }
  const reassigned: S[] = [];
  for (let i = 0; i < n; i++) {
    if (order[i] !== undefined) continue;
    const s = free.pop() ?? create();
    s.index = start + i;
    order[i] = s;
    reassigned.push(s);
  }
  return { order: order as S[], spare: free, reassigned };
}
