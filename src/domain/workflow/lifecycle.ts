/**
 * One way to write a record's lifecycle: its statuses and, per action, the statuses it may start from and the
 * status it leads to. Referrals, requests to partners, protections and welfare referrals each declare theirs
 * (domain/<area>/*-workflow.ts); services ask `step` before they write, so a refused step is one conflict with
 * one wording everywhere, and the table is the documentation of what may follow what.
 */

export type Transition<S extends string> = { readonly from: readonly S[]; readonly to: S; readonly verb: string };

export type Lifecycle<S extends string, A extends string> = {
  /** What the record is called in a sentence ("referral", "request"). */
  readonly noun: string;
  readonly statuses: readonly S[];
  readonly transitions: Readonly<Record<A, Transition<S>>>;
};

export type Step<S extends string> = { ok: true; from: S; to: S } | { ok: false; message: string };

/** Checks the table once, where it is declared: every status named in a transition is one of the statuses. */
export function defineLifecycle<S extends string, A extends string>(lifecycle: Lifecycle<S, A>): Lifecycle<S, A> {
  for (const [action, t] of Object.entries<Transition<S>>(lifecycle.transitions)) {
    for (const s of [...t.from, t.to]) {
      if (!lifecycle.statuses.includes(s)) throw new Error(`${lifecycle.noun} lifecycle: ${action} names unknown status ${s}`);
    }
  }
  return lifecycle;
}

/** "pending_review" → "pending review", for messages people read. */
export const statusWords = (status: string): string => status.replaceAll('_', ' ');

/** Where an action leads from a status, or why it may not be taken ("A referral that is closed cannot be withdrawn."). */
export function step<S extends string, A extends string>(lifecycle: Lifecycle<S, A>, action: A, from: S): Step<S> {
  const t = lifecycle.transitions[action];
  if (!t.from.includes(from)) {
    return { ok: false, message: `A ${lifecycle.noun} that is ${statusWords(from)} cannot be ${t.verb}.` };
  }
  return { ok: true, from, to: t.to };
}

/** Whether the action may be taken from the status. */
export const can = <S extends string, A extends string>(lifecycle: Lifecycle<S, A>, action: A, from: S): boolean =>
  lifecycle.transitions[action].from.includes(from);

/** The statuses an action may start from (for a query: "the requests still open"). */
export const startsOf = <S extends string, A extends string>(lifecycle: Lifecycle<S, A>, action: A): readonly S[] =>
  lifecycle.transitions[action].from;
