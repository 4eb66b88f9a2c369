import type { z } from 'zod';
import type { ZIntakeResult } from '../../contracts/cases.js';
import type { IntakeResult } from '../../domain/intake/intake-command.js';

/** What the desktop is told of a saved intake: the case's unit stays on the server (it routes the case's work). */
export function presentIntake(result: IntakeResult): z.infer<typeof ZIntakeResult> {
  const { unit: _unit, ...theCase } = result.case;
  return { ...result, case: theCase };
}
