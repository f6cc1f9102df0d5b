import { useEffect, useState } from 'react';

interface Versioned {
  version: number;
  subscribe(fn: () => void): () => void;
}

/**
 * Re-renders when the store changes, at most once per `ms` (trailing edge), so a burst of
 * live messages costs one render. Returns the store's version (useful as a memo key).
 */
export function useThrottledStore(store: Versioned, ms = 250): number {
  const [version, setVersion] = useState(store.version);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const unsub = store.subscribe(() => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        setVersion(store.version);
      }, ms);
    });
    setVersion(store.version);
    return () => {
      unsub();
      if (timer) clearTimeout(timer);
    };
  }, [store, ms]);
  return version;
}
