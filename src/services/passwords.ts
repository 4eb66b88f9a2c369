import { randomInt } from 'node:crypto';
import os from 'node:os';
import argon2 from 'argon2';
import { AppError } from '../domain/errors/app-error.js';

/**
 * argon2id with the library's defaults (64 MiB, t=3, p=4): the OWASP-recommended family for stored passwords.
 *
 * Each hash or check takes about a tenth of a second of one core on libuv's
 * threadpool. Unbounded, a flood of sign-ins with random names fills every
 * core and the threadpool, and the rest of the server (a supervisor's
 * wallboard, an intake being saved) waits behind it. So every argon2 call
 * here goes through one bounded queue: at most half the cores hash at once
 * (at least one), a few dozen wait, and beyond that the caller is refused at
 * once with `rate_limited` — sign-in gets slower under a flood, nothing else.
 *
 * The queue is our own (about 30 lines): what sign-in needs is to ask "is
 * there room?" before it writes anything, which p-limit and p-queue do not
 * offer as an admission step.
 */

export type BoundedQueue = {
  /** Runs `work` when a slot is free; refuses at once (rate_limited) when the queue is full. */
  run: <T>(work: () => Promise<T>) => Promise<T>;
  /** True when `run` would be accepted now. */
  hasRoom: () => boolean;
  readonly active: number;
  readonly waiting: number;
};

export const BUSY_MESSAGE = 'Signing in is busy right now; try again in a few seconds.';

export function createBoundedQueue(concurrency: number, maxWaiting: number): BoundedQueue {
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active -= 1;
  };
  return {
    async run(work) {
      if (active >= concurrency) {
        if (waiting.length >= maxWaiting) throw new AppError('rate_limited', BUSY_MESSAGE);
        // The slot is handed over by release(): `active` stays counted for the waiter.
        await new Promise<void>((resolve) => waiting.push(resolve));
      } else active += 1;
      try {
        return await work();
      } finally {
        release();
      }
    },
    hasRoom: () => active < concurrency || waiting.length < maxWaiting,
    get active() {
      return active;
    },
    get waiting() {
      return waiting.length;
    },
  };
}

export const ARGON2_CONCURRENCY = Math.max(1, Math.floor(os.availableParallelism() / 2));
/** About two seconds of waiting at most. */
export const ARGON2_MAX_WAITING = 16 * ARGON2_CONCURRENCY;

export const argon2Queue: BoundedQueue = createBoundedQueue(ARGON2_CONCURRENCY, ARGON2_MAX_WAITING);

export const hashPassword = (password: string): Promise<string> => argon2Queue.run(() => argon2.hash(password, { type: argon2.argon2id }));

export const verifyPassword = (hash: string, password: string): Promise<boolean> => argon2Queue.run(() => argon2.verify(hash, password));

// No 0/O, 1/l/I: passwords printed once are read off a terminal and typed by hand.
const ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A random password of four groups of five (~114 bits), e.g. "k7Qmz-..."; never derived from a seed. */
export function generatePassword(): string {
  const groups: string[] = [];
  for (let g = 0; g < 4; g++) {
    let group = '';
    for (let i = 0; i < 5; i++) group += ALPHABET[randomInt(ALPHABET.length)];
    groups.push(group);
  }
  return groups.join('-');
}
