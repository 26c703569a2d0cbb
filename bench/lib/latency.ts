// The latency the benchmark injects into the simulated GKE (per request; operations: until DONE).
import type { Latency } from './sim.ts';

export const LATENCY: Latency = { kubeMs: 20, computeMs: 100, containerMs: 100, operationMs: 2000 };
