import { hrefs } from '../hooks/useRoute.js';
import { useTranslation } from '../i18n/index.js';

export function NotFoundPage({ path }: { path: string }) {
  const { t } = useTranslation('general');
  return (
    <main className="page">
      <div className="empty" data-testid="not-found">
        <p>
          {t('notFound.nothingAt')} <code>{path}</code>
        </p>
        <p>
          <a href={hrefs.overview()}>{t('notFound.back')}</a>
        </p>
      </div>
    </main>
  );
}
