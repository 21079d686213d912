// What a Hyperbahn router expects on the wire (WIRE-NOTES "Hyperbahn advertise"; tchannel-node
// hyperbahn-client.js, tchannel-go hyperbahn/advertise.go):
//   service   hyperbahn
//   as        json
//   arg1      ad | unad
//   arg2      {}
//   arg3      {"services":[{"serviceName":"<name>","cost":0}]}
//   answer    {"connectionCount":N}   (ad; unad's answer carries nothing we use)
// The router registers the init host_port of the connection the call arrived on.

/** The service a Hyperbahn router serves its own endpoints under. */
export const HYPERBAHN_SERVICE = 'hyperbahn';

/** Endpoints (arg1) of a Hyperbahn router. */
export const HyperbahnEndpoint = {
  /** Registers services at the caller's init host_port. */
  Advertise: 'ad',
  /** Withdraws them. */
  Unadvertise: 'unad',
} as const;

export type HyperbahnEndpoint = (typeof HyperbahnEndpoint)[keyof typeof HyperbahnEndpoint];

/** One service in an `ad`/`unad` body. */
export interface AdvertisedService {
  readonly serviceName: string;
  /** Always 0 in tchannel-node and tchannel-go; an integer (tchannel-go's router decodes an int). */
  readonly cost: number;
}

/** arg3 of `ad` and `unad`. */
export interface AdvertiseRequestBody {
  readonly services: readonly AdvertisedService[];
}

/** arg3 of a router's answer to `ad`. */
export interface AdvertiseResponseBody {
  /** How many connections the router's ring holds to the advertised instance. */
  readonly connectionCount: number;
}

/** The `ad`/`unad` body for one service, keys in tchannel-go's order (serviceName, cost). */
export function advertiseRequestBody(serviceName: string, cost: number): AdvertiseRequestBody {
  return { services: [{ serviceName, cost }] };
}

/**
 * Reads a router's answer to `ad`.
 * @returns the body, or undefined when it is not an object with a non-negative integer `connectionCount`
 */
export function readAdvertiseResponse(body: unknown): AdvertiseResponseBody | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const count: unknown = (body as Record<string, unknown>)['connectionCount'];
  return typeof count === 'number' && Number.isInteger(count) && count >= 0 ? { connectionCount: count } : undefined;
}

/**
 * Reads an `ad`/`unad` body as a router would (for routers and tests).
 * @returns the body, or undefined when it is not `{ services: [{ serviceName: string, cost: number }...] }`
 */
export function readAdvertiseRequest(body: unknown): AdvertiseRequestBody | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const services: unknown = (body as Record<string, unknown>)['services'];
  if (!Array.isArray(services)) return undefined;
  const read: AdvertisedService[] = [];
  for (const item of services as unknown[]) {
    if (typeof item !== 'object' || item === null) return undefined;
    const { serviceName, cost } = item as Record<string, unknown>;
    if (typeof serviceName !== 'string' || typeof cost !== 'number') return undefined;
    read.push({ serviceName, cost });
  }
  return { services: read };
}
