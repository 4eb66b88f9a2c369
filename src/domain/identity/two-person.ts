/**
 * A two-person rule needs two independent people. Someone who created another
 * person's account, or reset its password or second factor, could have held
 * its credentials; someone who changed its access (role, unit or scopes) chose
 * that it could be the second person; for a cooling-off period after that (a safeguard setting,
 * 7 days by default) the two of them cannot make up the pair — in either
 * direction — and a third person has to act instead.
 */

export type CredentialActKind = 'created' | 'mfa_reset' | 'password_reset' | 'access_changed';

/** `actorId` created or reset the account of `subjectId` at `at`. */
export type CredentialAct = { actorId: string; subjectId: string; kind: CredentialActKind; at: Date };

export type IndependenceProblem = { code: 'not_independent'; message: string; act: CredentialAct; until: Date };

const DAY_MS = 86_400_000;
const utc = (d: Date): string => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

const WHAT: Record<CredentialActKind, string> = {
  created: 'created',
  mfa_reset: 'reset the second factor of',
  password_reset: 'reset the password of',
  access_changed: 'changed the role or scopes of',
};

/**
 * Refuses the pair if either did one of those acts to the other's account
 * within `coolingOffDays` before `now`; names the latest such act.
 */
export function independenceProblem(
  pair: { proposerId: string; approverId: string },
  acts: readonly CredentialAct[],
  now: Date,
  coolingOffDays: number,
): IndependenceProblem | undefined {
  const windowMs = coolingOffDays * DAY_MS;
  const binding = acts
    .filter(
      (a) =>
        ((a.actorId === pair.proposerId && a.subjectId === pair.approverId) ||
          (a.actorId === pair.approverId && a.subjectId === pair.proposerId)) &&
        a.at.getTime() <= now.getTime() &&
        now.getTime() - a.at.getTime() < windowMs,
    )
    .sort((a, b) => b.at.getTime() - a.at.getTime());
  const act = binding[0];
  if (!act) return undefined;
  const until = new Date(act.at.getTime() + windowMs);
  const who = act.actorId === pair.proposerId ? 'the proposer' : 'the approver';
  const whom = act.actorId === pair.proposerId ? "the approver's account" : "the proposer's account";
  return {
    code: 'not_independent',
    message: `${who} ${WHAT[act.kind]} ${whom} at ${utc(act.at)}; until ${utc(until)} (a ${coolingOffDays}-day cooling-off) someone else has to approve`,
    act,
    until,
  };
}
