// An in-memory implementation of test/idl/keyvalue.thrift's KeyValue service, for the unit tests.

import type { ThriftContext, ThriftHandler } from '../src/index';
import KeyValue = require('./gen/keyvalue/KeyValue');
import ttypes = require('./gen/keyvalue/keyvalue_types');

export { KeyValue, ttypes };

/** What the handler saw of each call, newest last. */
export interface SeenCall {
  readonly method: string;
  readonly args: readonly unknown[];
  readonly context: ThriftContext;
}

export class KeyValueHandler implements ThriftHandler<typeof KeyValue> {
  readonly store = new Map<string, string>();
  readonly seen: SeenCall[] = [];
  healthy = true;

  private see(method: string, args: readonly unknown[], context: ThriftContext): void {
    this.seen.push({ method, args, context });
    // Every answer carries the request's headers back, and one of its own.
    Object.assign(context.responseHeaders, context.headers, { served: method });
  }

  isHealthy(context: ThriftContext): boolean {
    this.see('isHealthy', [], context);
    return this.healthy;
  }

  async echo(value: string, context: ThriftContext): Promise<string> {
    this.see('echo', [value], context);
    return value;
  }

  get(key: string, context: ThriftContext): string {
    this.see('get', [key], context);
    const value = this.store.get(key);
    if (value === undefined) throw new ttypes.KeyNotFound({ key });
    return value;
  }

  async put(key: string, value: string, context: ThriftContext): Promise<void> {
    this.see('put', [key, value], context);
    if (value === '') throw new ttypes.InvalidValue({ message: `empty value for ${key}`, code: 400 });
    this.store.set(key, value);
  }

  add(a: number, b: number, context: ThriftContext): number {
    this.see('add', [a, b], context);
    return a + b;
  }

  clear(context: ThriftContext): void {
    this.see('clear', [], context);
    this.store.clear();
  }

  transform(
    shape: ttypes.Shape,
    extra: ttypes.Shape[],
    byName: { [k: string]: ttypes.Point },
    scale: number,
    context: ThriftContext,
  ): ttypes.Shape {
    this.see('transform', [shape, extra, byName, scale], context);
    const points = [...shape.points, ...Object.values(byName)].map((p) => new ttypes.Point({ x: p.x * scale, y: p.y * scale }));
    return new ttypes.Shape({
      name: `${shape.name}*${scale}`,
      points,
      counts: { points: points.length, extra: extra.length, ...(shape.counts ?? {}) },
      tags: [...(shape.tags ?? []), ...extra.map((s) => s.name)],
      color: shape.color === ttypes.Color.RED ? ttypes.Color.BLUE : ttypes.Color.GREEN,
      filled: !(shape.filled ?? false),
      ...(extra[0] === undefined ? {} : { inner: extra[0] }),
    });
  }

  notify(event: string, context: ThriftContext): void {
    this.see('notify', [event], context);
  }
}
