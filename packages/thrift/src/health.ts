import type { TChannel } from '@tchannel/core';
import { generateMethod } from './client-for';
import Meta = require('./gen/meta/Meta');
import { messageOf, type ThriftCallOptions } from './thrift-call';
import type { ThriftContext, ThriftHandler } from './thrift-server';

// Meta::health (uber/tchannel idl/github.com/uber/tchannel/meta.thrift; our copy: idl/meta.thrift):
//   HealthStatus health(1: HealthRequest hr)
//   HealthRequest { 1: optional HealthRequestType type }
//   HealthStatus  { 1: required bool ok, 2: optional string message, 3: optional HealthState state }

/** The Thrift service name of Meta::health. */
export const META_SERVICE = 'Meta';

/** `HealthState` of meta.thrift: why a process is (un)healthy. */
export const HealthState = {
  Refusing: 0,
  Accepting: 1,
  Stopping: 2,
  Stopped: 3,
} as const;
export type HealthState = (typeof HealthState)[keyof typeof HealthState];

/** `HealthRequestType` of meta.thrift: is the process up (Process), or does it want traffic (Traffic)? */
export const HealthRequestType = {
  Process: 0,
  Traffic: 1,
} as const;
export type HealthRequestType = (typeof HealthRequestType)[keyof typeof HealthRequestType];

/** `HealthStatus` of meta.thrift. */
export interface HealthStatus {
  readonly ok: boolean;
  /** Why not ok, conventionally. */
  readonly message?: string;
  readonly state?: HealthState;
}

/** What a health check is asked. */
export interface HealthCheckRequest {
  /** Process (the default when the caller sends none) or Traffic. */
  readonly type: HealthRequestType;
  /** The Meta::health call itself. */
  readonly context: ThriftContext;
}

/**
 * The application's health hook (ThriftArgScheme.setHealthCheck). A check that throws or rejects
 * answers `{ ok: false, message }`.
 */
export type HealthCheck = (request: HealthCheckRequest) => HealthStatus | Promise<HealthStatus>;

/** The Meta service's handler: answers with the current check, `{ ok: true }` without one. */
export function metaHandler(currentCheck: () => HealthCheck | undefined): ThriftHandler<typeof Meta> {
  return {
    async health(hr, context) {
      const check = currentCheck();
      if (check === undefined) return { ok: true };
      // `hr` is null when the caller sends no argument (tchannel-node's Meta has none); the
      // generated types do not say so.
      const type = (hr as { type?: number | null } | null)?.type === HealthRequestType.Traffic ? HealthRequestType.Traffic : HealthRequestType.Process;
      try {
        return toHealthStatus(await check({ type, context }));
      } catch (err) {
        return { ok: false, message: `health check failed: ${messageOf(err)}` };
      }
    },
  };
}

/**
 * A HealthStatus with only the fields meta.thrift defines, absent ones left out (the generated
 * code gives them as null; a hook written without types may return anything).
 */
function toHealthStatus(status: { readonly ok: unknown; readonly message?: unknown; readonly state?: unknown }): HealthStatus {
  return {
    ok: status.ok === true,
    ...(typeof status.message === 'string' ? { message: status.message } : {}),
    ...(typeof status.state === 'number' ? { state: status.state as HealthState } : {}),
  };
}

/** Options of checkHealth. */
export interface CheckHealthOptions extends ThriftCallOptions {
  /** The TChannel service to ask. */
  readonly service: string;
  /** Process (default) or Traffic. */
  readonly type?: HealthRequestType;
}

const health = generateMethod(Meta, META_SERVICE, 'health');

/**
 * Calls Meta::health on a peer (any TChannel implementation serving thrift answers it).
 * @throws what a thrift call throws (BadRequestError if the peer does not serve Meta::health)
 */
export async function checkHealth(channel: TChannel, options: CheckHealthOptions): Promise<HealthStatus> {
  const { service, type, ...callOptions } = options;
  const request = type === undefined ? {} : { type };
  return toHealthStatus(await health({ channel, service }, request, callOptions));
}
