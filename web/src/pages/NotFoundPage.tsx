import { hrefs } from '../hooks/useRoute.js';

export function NotFoundPage({ path }: { path: string }) {
  return (
    <main className="page">
      <div className="empty">
        <p>
          Nothing at <code>{path}</code>.
        </p>
        <p>
          <a href={hrefs.overview()}>Back to all devices</a>
        </p>
      </div>
    </main>
  );
}
