import { Suspense, lazy } from 'react';
import { Header } from './components/Header.js';
import { parseHash, useHash } from './hooks/useRoute.js';
import { DevicePage } from './pages/DevicePage.js';
import { NotFoundPage } from './pages/NotFoundPage.js';
import { OverviewPage } from './pages/OverviewPage.js';
import { AlarmsPage } from './pages/AlarmsPage.js';
import { LoginPage } from './pages/LoginPage.js';
import { Toasts } from './components/Toasts.js';
import { useIdentity } from './hooks/useIdentity.js';
import { useTranslation } from './i18n/index.js';
import { parseTaskHash } from './tasks/routes.js';

// Loaded when first opened: the operator and admin screens are most of the dashboard's code, and a
// device or overview page opened from a link should not parse them before its first chart.
const TasksPage = lazy(() => import('./pages/TasksPage.js').then((m) => ({ default: m.TasksPage })));
const AdminPage = lazy(() => import('./pages/AdminPage.js').then((m) => ({ default: m.AdminPage })));

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
        <Loading text={t('loading')} />
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
        <Suspense fallback={<Loading text={t('loading')} />}>
          <TasksPage screen={task.screen} params={task.params} />
        </Suspense>
      ) : route.name === 'overview' ? (
        <OverviewPage />
      ) : route.name === 'device' ? (
        <DevicePage key={route.id} id={route.id} />
      ) : route.name === 'alarms' ? (
        <AlarmsPage key={route.device} device={route.device} />
      ) : route.name === 'admin' ? (
        <Suspense fallback={<Loading text={t('loading')} />}>
          <AdminPage />
        </Suspense>
      ) : (
        <NotFoundPage path={route.path} />
      )}
    </>
  );
}

function Loading({ text }: { text: string }) {
  return (
    <main className="page">
      <p className="empty">{text}</p>
    </main>
  );
}
