import { useSyncExternalStore } from 'react';

// One ticker for the whole page: every "3 s ago" on screen moves on the same beat.
let now = Date.now();
let timer: ReturnType<typeof setInterval> | null = null;
const listeners = new Set<() => void>();

function subscribe(fn: () => void): () => void {
  listeners.add(fn);
  if (!timer) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      for (const l of [...listeners]) l();
    }, 1000);
  }
  return () => {
    listeners.delete(fn);
    if (listeners.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
}

/** The time, updated once a second while anything on the page shows it. */
export function useNow(): number {
  return useSyncExternalStore(subscribe, () => now);
}
