import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { TaskTable } from './TaskTable.js';

/** Rows per page of a newest-first list (GET …?before=<last id>&limit=…). */
export const PAGE = 50;

/**
 * A newest-first list for a filter, a page at a time: the first page whenever the filter or the
 * loader changes, the next one (before the last row's id) on older(). `list` is null while the
 * first page loads; `more` says a full page came last, so there may be older rows.
 */
export function usePagedList<F, T extends { id: number }>(
  load: (filter: F, before: number | undefined, limit: number) => Promise<T[]>,
  filter: F,
  fail: (err: unknown) => void,
) {
  const [pages, setPages] = useState<T[][] | null>(null);
  const fetchPage = useCallback(
    (f: F, before?: number) => load(f, before, PAGE).then((list) => setPages((p) => (before && p ? [...p, list] : [list])), fail),
    [load, fail],
  );
  useEffect(() => void fetchPage(filter), [fetchPage, filter]);
  const list = pages?.flat() ?? null;
  return {
    list,
    more: pages !== null && pages[pages.length - 1].length === PAGE,
    older: () => void (list?.length && fetchPage(filter, list[list.length - 1].id)),
    /** Back to "loading" until the next first page (a new filter). */
    reset: () => setPages(null),
  };
}

/**
 * A task screen's table of a paged list (TaskTable), then the button for older rows
 * (`{name}-older`) while there may be more.
 */
export function PagedTable<T>({
  name,
  list,
  more,
  onOlder,
  head,
  row,
  labels,
}: {
  name: string;
  list: T[] | null;
  more: boolean;
  onOlder: () => void;
  /** The column headings. */
  head: string[];
  /** One row: a <tr> with its key. */
  row: (r: T) => ReactNode;
  labels: { loading: string; none: string; older: string };
}) {
  return (
    <>
      <TaskTable name={name} list={list} head={head} row={row} labels={labels} />
      {more && list && (
        <div className="action-buttons">
          <button type="button" className="btn" onClick={onOlder} data-testid={`${name}-older`}>
            {labels.older}
          </button>
        </div>
      )}
    </>
  );
}
