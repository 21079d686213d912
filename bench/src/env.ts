// What the numbers were measured on, recorded with them.

import * as os from 'node:os';

export interface Environment {
  date: string;
  node: string;
  platform: string;
  cpuModel: string;
  cpus: number;
  memoryGiB: number;
  loadAvg1m: number;
}

export function describeEnvironment(): Environment {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpus: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAvg1m: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  };
}
