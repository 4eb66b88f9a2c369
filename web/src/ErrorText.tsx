/** An error the person must notice: announced by screen readers as soon as it appears (role="alert"). */
export function ErrorText({ children }: { children: string }) {
  return (
    <p role="alert" className="error">
      {children}
    </p>
  );
}
