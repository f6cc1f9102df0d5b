import { Header } from './components/Header.js';
import { parseHash, useHash } from './hooks/useRoute.js';
import { DevicePage } from './pages/DevicePage.js';
import { NotFoundPage } from './pages/NotFoundPage.js';
import { OverviewPage } from './pages/OverviewPage.js';
import { AlarmsPage } from './pages/AlarmsPage.js';
import { LoginPage } from './pages/LoginPage.js';
import { AdminPage } from './pages/AdminPage.js';
import { Toasts } from './components/Toasts.js';
import { useIdentity } from './hooks/useIdentity.js';
import { useTranslation } from './i18n/index.js';
import { TasksPage } from './pages/TasksPage.js';
import { parseTaskHash } from './tasks/routes.js';

export function App() {
  const hash = useHash();
  const route = parseHash(hash);
  const task = parseTaskHash(hash);
  const id = useIdentity();
  const { t } = useTranslation();
  return (
    <>
      <Header />
      {/* In the flow under the header, so a toast never covers the page's controls. */}
      {id.status === 'ready' && <Toasts />}
      {id.status === 'loading' ? (
        <main className="page">
          <p className="empty">{t('loading')}</p>
        </main>
      ) : id.status === 'login-required' ? (
        <LoginPage required />
      ) : id.status === 'error' ? (
        <main className="page">
          <p className="empty hint-error" role="alert">
            {t('serverUnreachable', { message: id.message })}
          </p>
        </main>
      ) : route.name === 'login' ? (
        <LoginPage required={false} />
      ) : task ? (
        <TasksPage screen={task.screen} params={task.params} />
      ) : route.name === 'overview' ? (
        <OverviewPage />
      ) : route.name === 'device' ? (
        <DevicePage key={route.id} id={route.id} />
      ) : route.name === 'alarms' ? (
        <AlarmsPage key={route.device} device={route.device} />
      ) : route.name === 'admin' ? (
        <AdminPage />
      ) : (
        <NotFoundPage path={route.path} />
      )}
    </>
  );
}
