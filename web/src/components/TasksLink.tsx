import { useHash } from '../hooks/useRoute.js';
import { useTranslation } from '../i18n/index.js';
import { taskHref } from '../tasks/routes.js';

/** The header's way in to the operator screens (apart from them: the screens load when first opened). */
export function TasksLink() {
  const { t } = useTranslation('tasks');
  const hash = useHash();
  return (
    <a href={taskHref('rules')} data-testid="nav-tasks" aria-current={hash.startsWith('#/manage') ? 'page' : undefined}>
      {t('nav')}
    </a>
  );
}
