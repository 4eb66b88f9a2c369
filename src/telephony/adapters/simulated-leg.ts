import { statSync } from 'node:fs';
import type { CallLeg } from '../call-session.js';

/**
 * The simulator adapter: a synthetic caller on the real call-control path —
 * IVR, queue, routing, call records — minus media. A prompt "plays" for as
 * long as its WAV file lasts (divided by `speed`); keys and the hang-up come
 * from the script or from the test driving it.
 */

export type CallerScript = { keys?: { afterMs: number; digit: string }[]; hangUpAfterMs?: number };

export class SimulatedLeg implements CallLeg {
  readonly adapter = 'simulator' as const;
  onDigit: ((digit: string) => void) | null = null;
  onEnd: (() => void) | null = null;
  ended = false;
  /** Every file played, in order (tests read what the caller heard). */
  readonly heard: string[] = [];
  private stopCurrent: (() => void) | null = null;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    readonly externalId: string,
    readonly line: string,
    readonly caller: string,
    private readonly speed = 1,
    script: CallerScript = {},
  ) {
    for (const k of script.keys ?? []) this.timers.push(setTimeout(() => this.press(k.digit), k.afterMs / speed));
    if (script.hangUpAfterMs !== undefined) this.timers.push(setTimeout(() => this.callerHangsUp(), script.hangUpAfterMs / speed));
  }

  press(digits: string): void {
    for (const d of digits) if (!this.ended) this.onDigit?.(d);
  }

  callerHangsUp(): void {
    if (this.ended) return;
    this.ended = true;
    this.stopCurrent?.();
    for (const t of this.timers) clearTimeout(t);
    this.onEnd?.();
  }

  private durationMs(file: string): number {
    // Words only (the simulator's prompts): about fourteen characters a second, as espeak-ng speaks them.
    if (file.startsWith('text:')) return (file.length / 14) * 1_000;
    try {
      return Math.max(0, ((statSync(file).size - 44) / 16_000) * 1_000);
    } catch {
      return 1_000;
    }
  }

  play(file: string): Promise<void> {
    this.heard.push(file);
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.durationMs(file) / this.speed);
      const stop = () => done();
      this.stopCurrent = stop;
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  async loop(file: string): Promise<void> {
    this.heard.push(file);
  }

  async stop(): Promise<void> {
    this.stopCurrent?.();
    this.stopCurrent = null;
  }

  /** Our side hangs up; as with a SIP call, the session hears that the call ended. */
  async hangup(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.stopCurrent?.();
    for (const t of this.timers) clearTimeout(t);
    this.onEnd?.();
  }

  /** Where a transfer sent the caller (tests read it). */
  transferredTo: string | null = null;

  async transfer(to: string): Promise<boolean> {
    this.transferredTo = to;
    return !this.ended;
  }

  async record(): Promise<string | null> {
    return `simulated:${this.externalId}`;
  }
}
