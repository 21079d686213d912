/**
 * Watches the real Node process for uncaught exceptions and unhandled rejections while a server
 * runs in the jest process. Jest's sandbox gives tests a copy of `process` whose listeners never
 * fire; a function built by the outer realm's Function constructor (core modules are loaded
 * there) reaches the real one. Jest also fails the running test on an uncaught exception, but
 * only if it happens during that test: this catches what happens between tests too.
 */
import { EventEmitter } from 'node:events';

const outerFunction = (EventEmitter as unknown as { constructor: FunctionConstructor }).constructor;

/** The process object of the realm jest runs in (not the sandbox's copy). */
export const realProcess = outerFunction('return process')() as NodeJS.Process;

export interface ProcessErrorWatch {
  /** Every uncaught exception and unhandled rejection seen since `watchProcessErrors()`. */
  readonly errors: unknown[];
  /** Stops watching. */
  stop(): void;
}

export function watchProcessErrors(): ProcessErrorWatch {
  const errors: unknown[] = [];
  const onError = (err: unknown): void => {
    errors.push(err);
  };
  realProcess.on('uncaughtException', onError);
  realProcess.on('unhandledRejection', onError);
  return {
    errors,
    stop() {
      realProcess.off('uncaughtException', onError);
      realProcess.off('unhandledRejection', onError);
    },
  };
}
