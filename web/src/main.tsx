import { createServices } from './services.js';
import { parseHash } from './hooks/useRoute.js';
import { showLoadFailure } from './load-failure.js';
import { applyInitialTheme } from './theme.js';
import './styles.css';

// The entry is the services alone (sign-in, API client, stores, live feed): small enough to run
// before the rest of the dashboard is even parsed, so the sign-in check, the device list, the
// profiles and the live socket are asked for at once and answered while React and the screens are
// compiled (a page opened from a link waited for them after its whole bundle had run).
applyInitialTheme();
const services = createServices();
const route = parseHash(window.location.hash);
void services.boot({ device: route.name === 'device' ? route.id : undefined });
// Back from a network drop or a sleeping laptop: try the socket now, not after the backoff.
window.addEventListener('online', () => services.live.kick());
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') services.live.kick();
});

import('./mount.js').then((m) => m.mount(services), showLoadFailure);
