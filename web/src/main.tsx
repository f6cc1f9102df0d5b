import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { ServicesContext, createServices } from './services.js';
import { applyInitialTheme } from './theme.js';
import { initI18n } from './i18n/index.js';
import './styles.css';

applyInitialTheme();
initI18n();
const services = createServices();
services.boot();
// Back from a network drop or a sleeping laptop: try the socket now, not after the backoff.
window.addEventListener('online', () => services.live.kick());
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') services.live.kick();
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ServicesContext.Provider value={services}>
      <App />
    </ServicesContext.Provider>
  </StrictMode>,
);
