import { useSyncExternalStore } from 'react';
import { useServices } from '../services.js';

const labels = { connecting: 'connecting…', connected: 'live', reconnecting: 'reconnecting…', closed: 'offline' } as const;

/** The live WebSocket's state, for the header. */
export function LiveStatus() {
  const { live } = useServices();
  const state = useSyncExternalStore(
    (fn) => live.onState(fn),
    () => live.state,
  );
  return (
    <span
      className={`live live-${state}`}
      data-testid="live-status"
      data-state={state}
      role="status"
      aria-live="polite"
      title={`live updates: ${labels[state]}`}
    >
      <span className="live-dot" />
      {labels[state]}
    </span>
  );
}
