// Machine-wide CPU time from /proc/stat (Linux), so each trial can report how much CPU other
// processes took while it was measuring: on a 2-CPU machine a test suite running beside the
// benchmark changes the numbers, and the report should say so rather than hide it.

import * as fs from 'node:fs';

/** /proc/stat counts in USER_HZ ticks, 100 per second on every mainstream Linux build. */
const MS_PER_TICK = 10;

export interface CpuTimes {
  /** CPU time spent running anything (user, nice, system, irq, softirq), all CPUs, ms. */
  busyMs: number;
  /** Time the hypervisor ran something else while our vCPUs wanted to run, ms. */
  stealMs: number;
}

export function readCpuTimes(): CpuTimes | null {
  let line: string | undefined;
  try {
    line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  } catch {
    return null;
  }
  if (!line?.startsWith('cpu ')) return null;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
  return { busyMs: (user + nice + system + irq + softirq) * MS_PER_TICK, stealMs: steal * MS_PER_TICK };
}

export interface ForeignLoad {
  /** Average number of CPUs kept busy by processes other than the trial's, over the window. */
  otherCpus: number;
  /** Average number of CPUs stolen by the hypervisor over the window. */
  stealCpus: number;
}

/**
 * What the rest of the machine did during a window: machine busy time minus the CPU time the
 * trial's own processes (children and orchestrator) reported for the same window.
 */
export function foreignLoad(before: CpuTimes, after: CpuTimes, windowMs: number, ownCpuMs: number): ForeignLoad {
  const busy = after.busyMs - before.busyMs;
  return {
    otherCpus: Math.max(0, busy - ownCpuMs) / windowMs,
    stealCpus: Math.max(0, after.stealMs - before.stealMs) / windowMs,
  };
}
