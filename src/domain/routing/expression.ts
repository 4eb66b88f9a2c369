/**
 * The routing expression language (TaskRouter-like), over task and worker
 * attributes:
 *
 *   worker.skills HAS 'uac' AND worker.languages HAS task.language
 *   task.priority >= 5 OR (task.type IN ['callback', 'tip'] AND NOT task.vip == true)
 *
 * Operators: == != < > <= >= IN HAS CONTAINS AND OR NOT ( ); literals: 'strings'
 * or "strings", numbers, true/false/null, [lists]; paths task.x.y / worker.y.
 * HAS: the list on the left holds the value on the right. IN: the value on the
 * left is in the list on the right. CONTAINS: the string on the left contains
 * the one on the right (case-insensitive). A missing attribute is null; a
 * comparison with null is false (except == / != null).
 */

export type Value = string | number | boolean | null | Value[] | { [key: string]: Value };
export type Attributes = Record<string, Value>;

type Literal = { kind: 'literal'; value: Value };
type Path = { kind: 'path'; root: 'task' | 'worker'; keys: string[] };
type List = { kind: 'list'; items: Operand[] };
type Operand = Literal | Path | List;
type Comparison = { kind: 'compare'; op: '==' | '!=' | '<' | '>' | '<=' | '>=' | 'IN' | 'HAS' | 'CONTAINS'; left: Operand; right: Operand };
type Truthy = { kind: 'truthy'; operand: Operand };
export type Expr = Comparison | Truthy | { kind: 'and' | 'or'; left: Expr; right: Expr } | { kind: 'not'; expr: Expr } | { kind: 'true' };

export class ExpressionError extends Error {
  override readonly name = 'ExpressionError';
  constructor(
    readonly position: number,
    readonly expected: string,
    readonly found: string,
    source: string,
  ) {
    super(`at position ${position + 1}: expected ${expected}, found ${found} in: ${source}`);
  }
}

type Token = { type: 'word' | 'string' | 'number' | 'op' | 'punct' | 'end'; text: string; value?: string | number; pos: number };

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IN', 'HAS', 'CONTAINS', 'TRUE', 'FALSE', 'NULL']);

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === "'" || c === '"') {
      let text = '';
      i++;
      while (i < source.length && source[i] !== c) {
        if (source[i] === '\\' && i + 1 < source.length) i++;
        text += source[i];
        i++;
      }
      if (i >= source.length) throw new ExpressionError(start, `a closing ${c}`, 'the end of the expression', source);
      i++;
      tokens.push({ type: 'string', text: source.slice(start, i), value: text, pos: start });
      continue;
    }
    if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(source[i + 1] ?? ''))) {
      i++;
      while (i < source.length && /[0-9.]/.test(source[i] ?? '')) i++;
      const text = source.slice(start, i);
      const value = Number(text);
      if (!Number.isFinite(value)) throw new ExpressionError(start, 'a number', `"${text}"`, source);
      tokens.push({ type: 'number', text, value, pos: start });
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      while (i < source.length && /[A-Za-z0-9_.]/.test(source[i] ?? '')) i++;
      tokens.push({ type: 'word', text: source.slice(start, i), pos: start });
      continue;
    }
    const two = source.slice(i, i + 2);
    if (['==', '!=', '<=', '>='].includes(two)) {
      tokens.push({ type: 'op', text: two, pos: start });
      i += 2;
      continue;
    }
    if (c === '<' || c === '>') {
      tokens.push({ type: 'op', text: c, pos: start });
      i++;
      continue;
    }
    if ('()[],'.includes(c)) {
      tokens.push({ type: 'punct', text: c, pos: start });
      i++;
      continue;
    }
    throw new ExpressionError(start, 'an operand or operator', `"${c}"`, source);
  }
  tokens.push({ type: 'end', text: '', pos: source.length });
  return tokens;
}

const describe = (t: Token): string => (t.type === 'end' ? 'the end of the expression' : `"${t.text}"`);

/** Parses an expression; throws ExpressionError naming the position and what was expected. An empty expression is `true`. */
export function parseExpression(source: string): Expr {
  const tokens = tokenize(source);
  let index = 0;
  const peek = (): Token => tokens[index] ?? { type: 'end', text: '', pos: source.length };
  const next = (): Token => {
    const t = peek();
    index++;
    return t;
  };
  const isWord = (t: Token, word: string): boolean => t.type === 'word' && t.text.toUpperCase() === word;
  const fail = (expected: string): never => {
    const t = peek();
    throw new ExpressionError(t.pos, expected, describe(t), source);
  };

  const operand = (): Operand => {
    const t = peek();
    if (t.type === 'string' || t.type === 'number') {
      next();
      return { kind: 'literal', value: t.value ?? null };
    }
    if (t.type === 'punct' && t.text === '[') {
      next();
      const items: Operand[] = [];
      if (!(peek().type === 'punct' && peek().text === ']')) {
        for (;;) {
          items.push(operand());
          if (peek().type === 'punct' && peek().text === ',') {
            next();
            continue;
          }
          break;
        }
      }
      if (!(peek().type === 'punct' && peek().text === ']')) fail('"," or "]"');
      next();
      return { kind: 'list', items };
    }
    if (t.type === 'word') {
      const upper = t.text.toUpperCase();
      if (upper === 'TRUE' || upper === 'FALSE' || upper === 'NULL') {
        next();
        return { kind: 'literal', value: upper === 'NULL' ? null : upper === 'TRUE' };
      }
      const parts = t.text.split('.');
      const root = parts[0];
      if ((root === 'task' || root === 'worker') && parts.length >= 2 && parts.every((p) => p.length > 0)) {
        next();
        return { kind: 'path', root, keys: parts.slice(1) };
      }
      if (KEYWORDS.has(upper)) fail('an operand');
      throw new ExpressionError(t.pos, 'task.<attribute> or worker.<attribute>, a string, a number or a list', describe(t), source);
    }
    return fail('an operand');
  };

  const comparison = (): Expr => {
    const t = peek();
    if (t.type === 'punct' && t.text === '(') {
      next();
      const inner = or();
      if (!(peek().type === 'punct' && peek().text === ')')) fail('")"');
      next();
      return inner;
    }
    if (isWord(t, 'NOT')) {
      next();
      return { kind: 'not', expr: comparison() };
    }
    const left = operand();
    const op = peek();
    const word = op.type === 'word' ? op.text.toUpperCase() : '';
    if (op.type === 'op' || word === 'IN' || word === 'HAS' || word === 'CONTAINS') {
      next();
      const right = operand();
      return { kind: 'compare', op: (op.type === 'op' ? op.text : word) as Comparison['op'], left, right };
    }
    return { kind: 'truthy', operand: left };
  };

  const and = (): Expr => {
    let left = comparison();
    while (isWord(peek(), 'AND')) {
      next();
      left = { kind: 'and', left, right: comparison() };
    }
    return left;
  };

  const or = (): Expr => {
    let left = and();
    while (isWord(peek(), 'OR')) {
      next();
      left = { kind: 'or', left, right: and() };
    }
    return left;
  };

  if (peek().type === 'end') return { kind: 'true' };
  const expr = or();
  if (peek().type !== 'end') fail('AND, OR or the end of the expression');
  return expr;
}

export type Scope = { task: Attributes; worker: Attributes };

function resolve(operand: Operand, scope: Scope): Value {
  switch (operand.kind) {
    case 'literal':
      return operand.value;
    case 'list':
      return operand.items.map((item) => resolve(item, scope));
    case 'path': {
      let value: Value | undefined = scope[operand.root];
      for (const key of operand.keys) {
        if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
        value = value[key];
        if (value === undefined) return null;
      }
      return value ?? null;
    }
  }
}

const same = (a: Value, b: Value): boolean =>
  a === b || (typeof a === 'string' && typeof b === 'string' && a.toLowerCase() === b.toLowerCase());

function compare(op: Comparison['op'], left: Value, right: Value): boolean {
  switch (op) {
    case '==':
      return Array.isArray(left) || Array.isArray(right) ? JSON.stringify(left) === JSON.stringify(right) : same(left, right);
    case '!=':
      return !compare('==', left, right);
    case '<':
    case '>':
    case '<=':
    case '>=': {
      if (left === null || right === null || typeof left !== typeof right || (typeof left !== 'number' && typeof left !== 'string'))
        return false;
      const [a, b] = [left as number | string, right as number | string];
      return op === '<' ? a < b : op === '>' ? a > b : op === '<=' ? a <= b : a >= b;
    }
    case 'IN':
      return (
        Array.isArray(right) && (Array.isArray(left) ? left.some((l) => right.some((r) => same(l, r))) : right.some((r) => same(left, r)))
      );
    case 'HAS':
      return (
        Array.isArray(left) && (Array.isArray(right) ? right.every((r) => left.some((l) => same(l, r))) : left.some((l) => same(l, right)))
      );
    case 'CONTAINS':
      return typeof left === 'string' && typeof right === 'string' && left.toLowerCase().includes(right.toLowerCase());
  }
}

export function evaluate(expr: Expr, scope: Scope): boolean {
  switch (expr.kind) {
    case 'true':
      return true;
    case 'and':
      return evaluate(expr.left, scope) && evaluate(expr.right, scope);
    case 'or':
      return evaluate(expr.left, scope) || evaluate(expr.right, scope);
    case 'not':
      return !evaluate(expr.expr, scope);
    case 'truthy': {
      const value = resolve(expr.operand, scope);
      return value !== null && value !== false && value !== 0 && value !== '' && !(Array.isArray(value) && value.length === 0);
    }
    case 'compare':
      return compare(expr.op, resolve(expr.left, scope), resolve(expr.right, scope));
  }
}

/** The task attributes an expression reads: eligibility can be cached per distinct combination of them. */
export function taskPaths(expr: Expr): string[] {
  const paths = new Set<string>();
  const visitOperand = (o: Operand): void => {
    if (o.kind === 'path' && o.root === 'task') paths.add(o.keys.join('.'));
    if (o.kind === 'list') o.items.forEach(visitOperand);
  };
  const visit = (e: Expr): void => {
    if (e.kind === 'and' || e.kind === 'or') {
      visit(e.left);
      visit(e.right);
    } else if (e.kind === 'not') visit(e.expr);
    else if (e.kind === 'compare') {
      visitOperand(e.left);
      visitOperand(e.right);
    } else if (e.kind === 'truthy') visitOperand(e.operand);
  };
  visit(expr);
  return [...paths].sort();
}

export type Predicate = (scope: Scope) => boolean;
type Getter = (scope: Scope) => Value;

function getter(operand: Operand): Getter {
  switch (operand.kind) {
    case 'literal': {
      const value = operand.value;
      return () => value;
    }
    case 'list': {
      if (operand.items.every((i) => i.kind === 'literal')) {
        const values = operand.items.map((i) => (i.kind === 'literal' ? i.value : null));
        return () => values;
      }
      const items = operand.items.map(getter);
      return (scope) => items.map((item) => item(scope));
    }
    case 'path': {
      const { root, keys } = operand;
      const [first] = keys;
      if (keys.length === 1 && first !== undefined) {
        return (scope) => {
          const value = scope[root][first];
          return value === undefined ? null : value;
        };
      }
      return (scope) => resolve(operand, scope);
    }
  }
}

/**
 * Compiles a parsed expression into a function: the engine evaluates target
 * expressions for every routing decision, and closures avoid re-walking the
 * tree. Same results as `evaluate` (a test checks both on many inputs).
 */
export function toPredicate(expr: Expr): Predicate {
  switch (expr.kind) {
    case 'true':
      return () => true;
    case 'and': {
      const left = toPredicate(expr.left);
      const right = toPredicate(expr.right);
      return (scope) => left(scope) && right(scope);
    }
    case 'or': {
      const left = toPredicate(expr.left);
      const right = toPredicate(expr.right);
      return (scope) => left(scope) || right(scope);
    }
    case 'not': {
      const inner = toPredicate(expr.expr);
      return (scope) => !inner(scope);
    }
    case 'truthy':
      return (scope) => evaluate(expr, scope);
    case 'compare': {
      const left = getter(expr.left);
      const op = expr.op;
      // The common shapes get a specialised closure: attribute == 'literal', list HAS attribute, list HAS 'literal'.
      if (expr.right.kind === 'literal' && typeof expr.right.value === 'string' && (op === '==' || op === '!=')) {
        const literal = expr.right.value;
        const lower = literal.toLowerCase();
        const equal = (value: Value) => value === literal || (typeof value === 'string' && value.toLowerCase() === lower);
        return op === '==' ? (scope) => equal(left(scope)) : (scope) => !equal(left(scope));
      }
      const right = getter(expr.right);
      if (op === 'HAS') {
        return (scope) => {
          const list = left(scope);
          if (!Array.isArray(list)) return false;
          const wanted = right(scope);
          if (Array.isArray(wanted)) return wanted.every((w) => list.some((l) => same(l, w)));
          for (const item of list) if (same(item, wanted)) return true;
          return false;
        };
      }
      return (scope) => compare(op, left(scope), right(scope));
    }
  }
}
