import type { ReactNode } from 'react';

/**
 * A task screen's table of a list: "loading" while it is null, "none" when it is empty (an empty
 * table when no `none` label is given), else the table. `name` gives the test ids (`{name}-table`,
 * its rows counted in data-rows, `{name}-none`); `actions` the heading of a last column of buttons,
 * read by screen readers only.
 */
export function TaskTable<T>({
  name,
  list,
  head,
  actions,
  row,
  labels = {},
}: {
  name?: string;
  list: T[] | null;
  /** The column headings. */
  head: string[];
  actions?: string;
  /** One row: a <tr> with its key. */
  row: (r: T) => ReactNode;
  labels?: { loading?: string; none?: string };
}) {
  if (list === null) return <p className="empty">{labels.loading}</p>;
  if (list.length === 0 && labels.none !== undefined)
    return (
      <p className="empty" data-testid={name && `${name}-none`}>
        {labels.none}
      </p>
    );
  return (
    <table className="admin-table" data-testid={name && `${name}-table`} data-rows={name && list.length}>
      <thead>
        <tr>
          {head.map((h) => (
            <th scope="col" key={h}>
              {h}
            </th>
          ))}
          {actions !== undefined && (
            <th scope="col">
              <span className="sr-only">{actions}</span>
            </th>
          )}
        </tr>
      </thead>
      <tbody>{list.map(row)}</tbody>
    </table>
  );
}
