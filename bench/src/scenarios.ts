// The measured workloads. Every implementation runs each one with the same payload sizes,
// connection count and number of calls kept in flight.

export type ScenarioId = 'latency' | 'throughput' | 'large' | 'connections';

export interface Scenario {
  id: ScenarioId;
  /** Position in the report (scenario 5, peak RSS, is read from the processes of 1-4). */
  number: number;
  title: string;
  /** Bytes of arg2 (application headers) per request; echoed back. */
  arg2Bytes: number;
  /** Bytes of arg3 (body) per request; echoed back. */
  arg3Bytes: number;
  /** Separate client connections (client channels) opened by the one client process. */
  connections: number;
  /** Calls kept in flight on each connection (closed loop: a call starts when one finishes). */
  concurrency: number;
  /** Per-call timeout given to every implementation. */
  timeoutMs: number;
}

export const MIB = 1024 * 1024;

export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'latency',
    number: 1,
    title: 'small call, concurrency 1',
    arg2Bytes: 16,
    arg3Bytes: 100,
    connections: 1,
    concurrency: 1,
    timeoutMs: 5000,
  },
  {
    id: 'throughput',
    number: 2,
    title: 'small calls, concurrency 100 on one connection',
    arg2Bytes: 16,
    arg3Bytes: 100,
    connections: 1,
    concurrency: 100,
    timeoutMs: 5000,
  },
  {
    id: 'large',
    number: 3,
    title: '1 MiB body, concurrency 4',
    arg2Bytes: 16,
    arg3Bytes: MIB,
    connections: 1,
    concurrency: 4,
    timeoutMs: 10000,
  },
  {
    id: 'connections',
    number: 4,
    title: '50 connections × concurrency 4, small calls',
    arg2Bytes: 16,
    arg3Bytes: 100,
    connections: 50,
    concurrency: 4,
    timeoutMs: 5000,
  },
];

export function scenarioById(id: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.id === id);
}
