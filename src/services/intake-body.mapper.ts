import type { IntakeBody } from '../contracts/cases.js';
import { BODY_FIELDS, type IntakeCommand } from '../domain/intake/intake-command.js';

/** The desktop's intake body (POST /api/v1/intake, also built by the demo seed) as the domain's intake command. */
export function intakeCommandOf(body: IntakeBody): IntakeCommand {
  return {
    source: body.source,
    reporter: body.reporter,
    narrative: body.narrative,
    language: body.language,
    grading: body.grading,
    callId: body.callId,
    receivedAt: body.receivedAt ? new Date(body.receivedAt) : undefined,
    subjects: body.subjects,
    locations: body.locations.map((l) => ({ ...l, observedAt: l.observedAt ? new Date(l.observedAt) : undefined })),
    case: body.case,
    fields: BODY_FIELDS,
  };
}
