import type { FieldIssue } from './api.js';

/** An error the person must notice: announced by screen readers as soon as it appears (role="alert"). */
export function ErrorText({ children }: { children: string }) {
  return (
    <p role="alert" className="error">
      {children}
    </p>
  );
}

/**
 * A refusal with the fields at fault, one line each, announced at once. `label` names a field from its path (default:
 * the path without "body."); `what` stands for an issue that names no field.
 */
export function IssueList({
  title,
  issues,
  what,
  label = (path) => path.replace(/^body\./, ''),
}: {
  title: string;
  issues: FieldIssue[];
  what: string;
  label?: (path: string) => string;
}) {
  if (issues.length === 0) return null;
  return (
    <div role="alert" className="error">
      {title}
      <ul>
        {issues.map((i) => (
          <li key={`${i.path}-${i.code}`}>{`${label(i.path) || what}: ${i.message}`}</li>
        ))}
      </ul>
    </div>
  );
}
