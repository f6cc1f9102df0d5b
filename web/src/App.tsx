import { Header } from './components/Header.js';
import { parseHash, useHash } from './hooks/useRoute.js';
import { DevicePage } from './pages/DevicePage.js';
import { NotFoundPage } from './pages/NotFoundPage.js';
import { OverviewPage } from './pages/OverviewPage.js';

export function App() {
  const route = parseHash(useHash());
  return (
    <>
      <Header />
      {route.name === 'overview' ? (
        <OverviewPage />
      ) : route.name === 'device' ? (
        <DevicePage key={route.id} id={route.id} />
      ) : (
        <NotFoundPage path={route.path} />
      )}
    </>
  );
}
