import { useSyncExternalStore } from 'react';
import { useServices } from '../services.js';
import type { IdentityState } from '../auth/identity.js';

/** The identity state, re-rendering on sign-in, sign-out and expiry. */
export function useIdentity(): IdentityState {
  const { identity } = useServices();
  return useSyncExternalStore(
    (fn) => identity.subscribe(fn),
    () => identity.state,
  );
}
