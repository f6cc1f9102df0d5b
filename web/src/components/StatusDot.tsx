export function OnlineDot({ online }: { online: boolean }) {
  return (
    <span
      className={`dot ${online ? 'dot-online' : 'dot-offline'}`}
      role="img"
      aria-label={online ? 'online' : 'offline'}
      title={online ? 'online' : 'offline'}
    />
  );
}
