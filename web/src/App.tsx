import { Header } from './components/Header.js';
import { parseHash, useHash } from './hooks/useRoute.js';
import { DevicePage } from './pages/DevicePage.js';
import { NotFoundPage } from './pages/NotFoundPage.js';
import { OverviewPage } from './pages/OverviewPage.js';
import { AlarmsPage } from './pages/AlarmsPage.js';
import { Toasts } from './components/Toasts.js';

export function App() {
  const route = parseHash(useHash());
  return (
    <>
      <Header />
      {route.name === 'overview' ? (
        <OverviewPage />
      ) : route.name === 'device' ? (
        <DevicePage key={route.id} id={route.id} />
      ) : route.name === 'alarms' ? (
        <AlarmsPage key={route.device} device={route.device} />
      ) : (
        <NotFoundPage path={route.path} />
      )}
      <Toasts />
    </>
  );
}
