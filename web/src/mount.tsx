import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { ServicesContext, type Services } from './services.js';
import { initI18n } from './i18n/index.js';

/** Renders the dashboard: React, the screens and the catalogues, loaded while the entry's first requests are on their way. */
export function mount(services: Services): void {
  initI18n();
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <ServicesContext.Provider value={services}>
        <App />
      </ServicesContext.Provider>
    </StrictMode>,
  );
}
