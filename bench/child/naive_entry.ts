// The naive function entry, for comparison only: the same registrations as functions/index.ts,
// after eagerly loading and constructing the Google clients and client-node at load time (what
// using the client libraries directly at module scope costs every cold start).
import { loadEagerClients } from './eager_clients.ts';

export const clients = await loadEagerClients();
await import('../../functions/index.ts');
