import { TChannelError } from '../errors/tchannel-error';

/** A parsed `host:port`. IPv6 hosts may be bracketed; the port follows the last colon (docs/protocol.md). */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export function parseHostPort(value: string): HostPort {
  const colon = value.lastIndexOf(':');
  const port = Number(value.slice(colon + 1));
  let host = value.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (colon <= 0 || host.length === 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TChannelError(`invalid host:port "${value}"`);
  }
  return { host, port };
}

/** Whether `value` is a `host:port` that parseHostPort accepts. */
export function isHostPort(value: string): boolean {
  try {
    parseHostPort(value);
    return true;
  } catch {
    return false;
  }
}
