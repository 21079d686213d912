import { TChannelError } from '../errors/tchannel-error';
import type { ArgScheme } from './arg-scheme';

/** A scheme was looked up that is not registered on the channel. */
export class UnknownSchemeError extends TChannelError {
  static override readonly kind: string = 'UnknownSchemeError';
}

/**
 * The schemes registered on one channel, keyed by their `as` value. No globals: two channels in
 * one process may register different schemes.
 */
export class SchemeRegistry {
  private readonly schemes = new Map<string, ArgScheme>();

  /**
   * Registers a scheme. Registering the same object again is a no-op.
   * @throws TChannelError if another scheme already uses the name.
   */
  register(scheme: ArgScheme): void {
    const existing = this.schemes.get(scheme.name);
    if (existing === scheme) return;
    if (existing !== undefined) throw new TChannelError(`arg scheme "${scheme.name}" is already registered on this channel`);
    this.schemes.set(scheme.name, scheme);
  }

  has(name: string): boolean {
    return this.schemes.has(name);
  }

  /** The scheme for an `as` value, or undefined. */
  find(name: string): ArgScheme | undefined {
    return this.schemes.get(name);
  }

  /**
   * The scheme for an `as` value.
   * @throws UnknownSchemeError naming the registered schemes.
   */
  get(name: string): ArgScheme {
    const scheme = this.schemes.get(name);
    if (scheme === undefined) {
      const known = [...this.schemes.keys()].join(', ') || 'none';
      throw new UnknownSchemeError(`arg scheme "${name}" is not registered (registered: ${known})`);
    }
    return scheme;
  }

  /** Names of the registered schemes. */
  names(): string[] {
    return [...this.schemes.keys()];
  }
}
