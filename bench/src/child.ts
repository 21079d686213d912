// A forked benchmark child seen from the parent: typed messages in and out, waits with
// time-outs, the tail of its output for error reports, and a kill that always happens.

import { fork, type ChildProcess, type ForkOptions } from 'node:child_process';
import { tasksetPath } from './pinning';

const TAIL_BYTES = 4000;

export class Child<In extends { type: string }, Out extends { type: string }> {
  private readonly proc: ChildProcess;
  private readonly inbox: Out[] = [];
  private waiter: (() => void) | null = null;
  private tail = '';
  private exitInfo: string | null = null;
  readonly exited: Promise<void>;

  /** Forks `file`; with a `cpu`, through taskset so the child runs on that CPU only. */
  constructor(
    readonly name: string,
    file: string,
    cpu: number | null,
  ) {
    const options: ForkOptions = { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] };
    const taskset = cpu === null ? null : tasksetPath();
    if (taskset !== null) {
      // fork runs `execPath ...execArgv file`: here `taskset -c N node ...execArgv file`
      options.execPath = taskset;
      options.execArgv = ['-c', String(cpu), process.execPath, ...process.execArgv];
    }
    this.proc = fork(file, [], options);
    const keep = (chunk: Buffer): void => {
      this.tail = (this.tail + chunk.toString('utf8')).slice(-TAIL_BYTES);
    };
    this.proc.stdout?.on('data', keep);
    this.proc.stderr?.on('data', keep);
    this.proc.on('message', (msg: Out) => {
      this.inbox.push(msg);
      this.wake();
    });
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        this.exitInfo = signal ? `killed by ${signal}` : `exited with code ${code}`;
        this.wake();
        resolve();
      });
      this.proc.once('error', (err) => {
        // a child that never started emits no 'exit'
        if (this.proc.pid === undefined) {
          this.exitInfo = `failed to start: ${err.message}`;
          this.wake();
          resolve();
        }
      });
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  send(msg: In): void {
    if (this.proc.connected) this.proc.send(msg);
  }

  /** The next message of the given type (others before it are dropped). Rejects on an `error`
   *  message from the child, on its exit, or after `timeoutMs`. */
  async next<T extends Out['type']>(type: T, timeoutMs: number): Promise<Extract<Out, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.inbox.length > 0) {
        const msg = this.inbox.shift() as Out;
        if (msg.type === type) return msg as Extract<Out, { type: T }>;
        if (msg.type === 'error') {
          const detail = (msg as unknown as { message?: string }).message ?? 'unknown error';
          throw new Error(`${this.name}: ${detail}${this.tailNote()}`);
        }
      }
      if (this.exitInfo) throw new Error(`${this.name} ${this.exitInfo} before sending "${type}"${this.tailNote()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name} sent no "${type}" within ${timeoutMs} ms${this.tailNote()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = null;
    }
  }

  /** Waits up to `graceMs` for the child to exit by itself, then kills it. */
  async end(graceMs: number): Promise<void> {
    if (this.exitInfo) return;
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (!this.exitInfo) this.proc.kill('SIGKILL');
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  private tailNote(): string {
    const t = this.tail.trim();
    return t ? `\n--- ${this.name} output ---\n${t}` : '';
  }
}
