// Standalone servers (the benchmark's local GKE) close cleanly on SIGTERM/SIGINT and
// exit 0, so the process that started them can stop them without leaving sockets behind.

/** Returns the stop function, for other reasons to stop (the benchmark's stdin closing). */
export function closeOnSignals(sim: { close(): Promise<void> }): () => void {
  let closing = false;
  const stop = (): void => {
    if (closing) return;
    closing = true;
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return stop;
}
