// Counts established TCP connections on a local port from /proc/net/tcp (Linux), so the report
// can show how many connections each implementation really opened. Null where unavailable.

import * as fs from 'node:fs';

const ESTABLISHED = '01';

export function countEstablished(localPort: number): number | null {
  let text: string;
  try {
    text = fs.readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    return null;
  }
  const portHex = localPort.toString(16).toUpperCase().padStart(4, '0');
  let count = 0;
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const local = cols[1];
    if (local !== undefined && cols[3] === ESTABLISHED && local.endsWith(`:${portHex}`)) count++;
  }
  return count;
}
