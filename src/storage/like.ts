/** Text taken literally inside a LIKE / ILIKE pattern: `%`, `_` and `\` escaped (PostgreSQL's default escape). */
export const likeLiteral = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);
