import type { Actor, PermissionTable } from '../domain/access/access-control.js';
import { AppError } from '../domain/errors/app-error.js';
import { isMinorOn } from '../domain/persons/age.js';
import type { Db } from '../storage/database.js';
import * as persons from '../storage/repositories/person.repository.js';
import { appendAudit, type RequestContext } from './audit.service.js';

/**
 * Reading a person's record. The read is audited in the same transaction as
 * the query that serves it. A child's record — or one whose age we do not
 * know — is shown only with a stated purpose of use, which the audit keeps.
 */

export const MIN_PURPOSE_LENGTH = 10;

export type PersonView = { person: persons.PersonRow; locations: persons.LocationRow[]; minor: boolean | 'unknown' };

export async function readPerson(
  deps: { db: Db; permissions: PermissionTable },
  ctx: RequestContext & { actor: Actor },
  id: string,
  purpose: string | undefined,
): Promise<PersonView> {
  const result = await deps.db.transaction().execute(async (trx) => {
    const person = await persons.findPerson(trx, id);
    if (!person) {
      await appendAudit(trx, ctx, {
        action: 'person.read',
        outcome: 'error',
        resourceType: 'person',
        resourceId: id,
        details: { reason: 'not_found' },
      });
      return { error: new AppError('not_found', 'There is no such person.') };
    }
    const minor = isMinorOn({ dob: person.dob, dobBasis: person.dob_basis }, ctx.now);
    const stated = purpose?.trim() ?? '';
    if (minor !== false && stated.length < MIN_PURPOSE_LENGTH) {
      await appendAudit(trx, ctx, {
        action: 'person.read',
        outcome: 'denied',
        resourceType: 'person',
        resourceId: id,
        details: { reason: 'purpose_required', minor },
      });
      return {
        error: new AppError(
          'purpose_required',
          `This record is of a child (or of a person whose age is unknown): state the purpose of use (at least ${MIN_PURPOSE_LENGTH} characters) in the purpose parameter.`,
        ),
      };
    }
    const locations = await persons.listLocations(trx, id);
    await appendAudit(trx, ctx, {
      action: 'person.read',
      outcome: 'allowed',
      resourceType: 'person',
      resourceId: id,
      purpose: stated || null,
      details: { minor },
    });
    return { view: { person, locations, minor } };
  });
  if ('error' in result) throw result.error;
  return result.view;
}
