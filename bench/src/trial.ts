// One trial: a fresh server process and a fresh client process for one implementation and one
// scenario. Fresh processes per trial keep one scenario's heap from inflating another's RSS.

import { performance } from 'node:perf_hooks';
import { Child } from './child';
import { foreignLoad, readCpuTimes, type ForeignLoad } from './cpu-load';
import type { Impl } from './impls/registry';
import type { ClientResult, CpuWindow, FromClient, FromServer, ToClient, ToServer } from './ipc';
import { describeError } from './ipc';
import { countEstablished } from './proc-net';
import type { Scenario } from './scenarios';

export interface TrialOptions {
  warmupMs: number;
  durationMs: number;
  /** CPUs to pin the children to (null: not pinned). */
  serverCpu: number | null;
  clientCpu: number | null;
}

export interface Trial {
  impl: Impl['id'];
  scenario: Scenario['id'];
  repeat: number;
  /** Null when the trial did not produce a result. */
  client: ClientResult | null;
  clientMaxRssKiB: number | null;
  serverMaxRssKiB: number | null;
  serverCpu: CpuWindow | null;
  /** Established connections on the server port at the end of the window (Linux only). */
  connections: number | null;
  /** CPU used by the rest of the machine during the window (Linux only). */
  foreign: ForeignLoad | null;
  failure: string | null;
}

const START_TIMEOUT_MS = 20_000;
const SLACK_MS = 20_000;

export async function runTrial(impl: Impl, scenario: Scenario, repeat: number, o: TrialOptions): Promise<Trial> {
  const trial: Trial = {
    impl: impl.id,
    scenario: scenario.id,
    repeat,
    client: null,
    clientMaxRssKiB: null,
    serverMaxRssKiB: null,
    serverCpu: null,
    connections: null,
    foreign: null,
    failure: null,
  };
  const server = new Child<ToServer, FromServer>(`${impl.id} server`, impl.serverFile, o.serverCpu);
  let client: Child<ToClient, FromClient> | null = null;
  try {
    const { hostPort } = await server.next('ready', START_TIMEOUT_MS);
    const port = Number(hostPort.slice(hostPort.lastIndexOf(':') + 1));
    const c = new Child<ToClient, FromClient>(`${impl.id} client`, impl.clientFile, o.clientCpu);
    client = c;
    c.send({ type: 'run', hostPort, scenario, warmupMs: o.warmupMs, durationMs: o.durationMs });
    await c.next('measuring', START_TIMEOUT_MS + o.warmupMs);
    server.send({ type: 'mark', at: 'start' });
    const machineStart = readCpuTimes();
    const selfStart = process.cpuUsage();
    const windowStart = performance.now();
    await c.next('measured', o.durationMs + SLACK_MS);
    server.send({ type: 'mark', at: 'end' });
    const machineEnd = readCpuTimes();
    const self = process.cpuUsage(selfStart);
    const windowMs = performance.now() - windowStart;
    trial.connections = countEstablished(port);
    const { result } = await c.next('result', scenario.timeoutMs + SLACK_MS);
    trial.client = result;
    trial.clientMaxRssKiB = result.maxRssKiB;
    c.send({ type: 'close' });
    try {
      const closed = await c.next('closed', 10_000);
      trial.clientMaxRssKiB = Math.max(result.maxRssKiB, closed.maxRssKiB);
    } catch {
      // a client that cannot close cleanly still measured; it is killed below
    }
    await c.end(3000);
    server.send({ type: 'stop' });
    const stopped = await server.next('stopped', 10_000);
    trial.serverMaxRssKiB = stopped.maxRssKiB;
    trial.serverCpu = stopped.cpu;
    if (machineStart && machineEnd && stopped.cpu) {
      const ownUs =
        result.cpu.userUs + result.cpu.systemUs + stopped.cpu.userUs + stopped.cpu.systemUs + self.user + self.system;
      trial.foreign = foreignLoad(machineStart, machineEnd, windowMs, ownUs / 1000);
    }
    await server.end(3000);
  } catch (err) {
    trial.failure = describeError(err).replace(/^Error: /, '');
  } finally {
    client?.kill();
    server.kill();
    await Promise.all([client?.exited, server.exited]);
  }
  return trial;
}
