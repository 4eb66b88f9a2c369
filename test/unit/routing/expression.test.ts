import { describe, expect, it } from 'vitest';
import { ExpressionError, evaluate, parseExpression, taskPaths } from '../../../src/domain/routing/expression.js';

const worker = { skills: ['public_intake', 'uac'], languages: ['en', 'es'], level: 3, unit: 'uac', name: 'Ana' };
const task = { language: 'es', type: 'tip', priority: 5, tags: ['uac'], note: 'Child seen near school' };
const check = (source: string) => evaluate(parseExpression(source), { task, worker });

describe('routing expressions', () => {
  it('compares, tests membership and combines with precedence', () => {
    expect(check("worker.skills HAS 'uac' AND worker.languages HAS task.language")).toBe(true);
    expect(check('worker.level >= 2 AND worker.level < 4')).toBe(true);
    expect(check("task.type IN ['callback', 'tip']")).toBe(true);
    expect(check("task.type IN ['callback']")).toBe(false);
    expect(check("task.note CONTAINS 'school'")).toBe(true);
    expect(check("worker.unit == 'UAC'")).toBe(true);
    expect(check("worker.unit != 'intake'")).toBe(true);
    expect(check('NOT task.priority > 9')).toBe(true);
    expect(check('task.priority > 9 OR task.priority == 5 AND worker.level == 3')).toBe(true);
    expect(check('(task.priority > 9 OR task.priority == 5) AND worker.level == 1')).toBe(false);
    expect(check('worker.skills HAS task.tags')).toBe(true);
    expect(check('')).toBe(true);
  });

  it('treats missing attributes as null: never equal to a value, never ordered', () => {
    expect(check("task.missing == 'x'")).toBe(false);
    expect(check('task.missing == null')).toBe(true);
    expect(check('task.missing > 1')).toBe(false);
    expect(check('task.missing.deeper == 1')).toBe(false);
    expect(check("worker.skills HAS 'missing'")).toBe(false);
  });

  it('names the position and what was expected when the expression is wrong', () => {
    const errorOf = (source: string) => {
      try {
        parseExpression(source);
      } catch (error) {
        if (error instanceof ExpressionError) return error;
      }
      throw new Error(`no error for ${source}`);
    };
    expect(errorOf('worker.skills HAS').message).toBe(
      'at position 18: expected an operand, found the end of the expression in: worker.skills HAS',
    );
    expect(errorOf('worker.level >= 2 AND').position).toBe(21);
    expect(errorOf("task.type IN ['a' 'b']").expected).toBe('"," or "]"');
    expect(errorOf('(task.a == 1').expected).toBe('")"');
    expect(errorOf("caller.name == 'x'").expected).toContain('task.<attribute> or worker.<attribute>');
    expect(errorOf("task.a == 'open").expected).toBe("a closing '");
    expect(errorOf('task.a == 1 task.b == 2').expected).toBe('AND, OR or the end of the expression');
    expect(errorOf('task.a ~ 2').position).toBe(7);
  });

  it('lists the task attributes an expression reads', () => {
    expect(taskPaths(parseExpression("worker.languages HAS task.language AND (task.type == 'x' OR task.meta.level > 1)"))).toEqual([
      'language',
      'meta.level',
      'type',
    ]);
  });
});

describe('compiled expressions', () => {
  it('agree with the interpreter on random attributes', async () => {
    const fc = (await import('fast-check')).default;
    const { toPredicate } = await import('../../../src/domain/routing/expression.js');
    const sources = [
      "worker.skills HAS 'uac' AND worker.languages HAS task.language",
      "task.type IN ['callback', 'tip'] OR task.priority >= 3",
      "NOT worker.unit == 'UAC' OR worker.level >= task.meta.level",
      'worker.skills HAS task.tags',
      "task.note CONTAINS 'school' AND worker.unit != 'intake'",
      'task.flag',
      "worker.level > 1 AND NOT (task.kind == 'work_item')",
    ];
    const value = fc.oneof(
      fc.constantFrom('uac', 'UAC', 'es', 'en', 'tip', 'intake', 'School trip'),
      fc.integer({ min: 0, max: 4 }),
      fc.boolean(),
      fc.constant(null),
    );
    const attributes = fc.dictionary(
      fc.constantFrom('skills', 'languages', 'language', 'type', 'priority', 'unit', 'level', 'tags', 'note', 'flag', 'kind', 'meta'),
      fc.oneof(value, fc.array(value, { maxLength: 3 }), fc.record({ level: fc.integer({ min: 0, max: 3 }) })),
    );
    fc.assert(
      fc.property(fc.constantFrom(...sources), attributes, attributes, (source, task, worker) => {
        const expr = parseExpression(source);
        const scope = { task: task as never, worker: worker as never };
        expect(toPredicate(expr)(scope)).toBe(evaluate(expr, scope));
      }),
      { numRuns: 2000, seed: 3 },
    );
  });
});
