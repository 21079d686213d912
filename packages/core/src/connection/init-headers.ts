import { InvalidMessageError } from '../errors/local-errors';
import type { Headers } from '../wire/headers';

/** The init headers every v2 peer sends (docs/protocol.md, "init req"). */
export const InitHeader = {
  HostPort: 'host_port',
  ProcessName: 'process_name',
  Language: 'tchannel_language',
  LanguageVersion: 'tchannel_language_version',
  Version: 'tchannel_version',
} as const;

/** host_port of a peer that does not listen: receivers identify it by the socket instead. */
export const EPHEMERAL_HOST_PORT = '0.0.0.0:0';

/** Our library version, sent as tchannel_version. */
export const LIBRARY_VERSION = '0.1.0';

/** What a peer said about itself in its init frame. */
export interface PeerIdentity {
  readonly hostPort: string;
  readonly processName: string;
  readonly headers: Headers;
}

/** All five init headers for this process. */
export function ourInitHeaders(hostPort: string, processName: string): Headers {
  return {
    [InitHeader.HostPort]: hostPort,
    [InitHeader.ProcessName]: processName,
    [InitHeader.Language]: 'node',
    [InitHeader.LanguageVersion]: process.versions.node,
    [InitHeader.Version]: LIBRARY_VERSION,
  };
}

/**
 * Validates a peer's init headers. Only host_port and process_name are required in practice
 * (tchannel-go and tchannel-node do not insist on the other three); unknown headers are ignored.
 */
export function readPeerIdentity(headers: Headers): PeerIdentity {
  const hostPort = headers[InitHeader.HostPort];
  const processName = headers[InitHeader.ProcessName];
  if (hostPort === undefined) throw new InvalidMessageError('init is missing the host_port header');
  if (processName === undefined) throw new InvalidMessageError('init is missing the process_name header');
  return { hostPort, processName, headers };
}
