import type { ClientRequests, CollectedClientSecret } from '@contracts/views.js';
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { ApiError, api, type FieldIssue } from './api.js';
import { ErrorText, IssueList } from './ErrorText.js';

/** The agency's API clients, and requests for new ones (an admin approves; the secret is collected once). */

const SCOPES: [string, string][] = [
  ['submissions:write', 'Send submissions and read their status'],
  ['submissions:read', 'Read submission statuses only'],
  ['requests:respond', 'Read and answer requests from the center'],
  ['agency:read', "Read the agency's registry entry"],
];

export function PortalClients() {
  const [data, setData] = useState<ClientRequests>({ requests: [], clients: [] });
  const [form, setForm] = useState<{ name: string; justification: string; scopes: string[] }>({
    name: '',
    justification: '',
    scopes: ['submissions:write'],
  });
  const [issues, setIssues] = useState<FieldIssue[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [secret, setSecret] = useState<CollectedClientSecret | null>(null);
  const load = useCallback(async () => {
    try {
      setData(await api<ClientRequests>('GET', '/api/v1/portal/client-requests'));
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'Could not load API clients.');
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  const ask = async (event: FormEvent) => {
    event.preventDefault();
    setIssues([]);
    try {
      await api('POST', '/api/v1/portal/client-requests', form);
      setForm({ name: '', justification: '', scopes: ['submissions:write'] });
      await load();
    } catch (e) {
      if (e instanceof ApiError) setIssues(e.issues.length ? e.issues : [{ path: '', code: e.code, message: e.message }]);
    }
  };
  const collect = async (id: string) => {
    try {
      setSecret(await api<CollectedClientSecret>('POST', `/api/v1/portal/client-requests/${id}/collect`, {}));
      await load();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'Could not collect the secret.');
    }
  };
  return (
    <section aria-labelledby="clients-h">
      <h2 id="clients-h">API clients</h2>
      {error && <ErrorText>{error}</ErrorText>}
      {secret && (
        <div role="status" className="notice">
          <p>
            Client <code>{secret.clientId}</code>, secret <code>{secret.clientSecret}</code>
          </p>
          <p>Copy the secret into your system now: it is shown only this once.</p>
          <button type="button" onClick={() => setSecret(null)}>
            I have stored it
          </button>
        </div>
      )}
      <table>
        <caption>Your agency's clients</caption>
        <thead>
          <tr>
            <th scope="col">Client</th>
            <th scope="col">Name</th>
            <th scope="col">Scopes</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {data.clients.map((c) => (
            <tr key={c.clientId}>
              <td>
                <code>{c.clientId}</code>
              </td>
              <td>{c.name}</td>
              <td>{c.scopes.join(', ')}</td>
              <td>{c.status}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table>
        <caption>Requests for clients</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Asked</th>
            <th scope="col">Status</th>
            <th scope="col" />
          </tr>
        </thead>
        <tbody>
          {data.requests.map((r) => (
            <tr key={r.id}>
              <td>{r.name}</td>
              <td>{new Date(r.createdAt).toLocaleString()}</td>
              <td>
                {r.status}
                {r.decisionNote ? ` — ${r.decisionNote}` : ''}
              </td>
              <td>
                {r.secretWaiting && (
                  <button type="button" onClick={() => void collect(r.id)}>
                    Show the secret (once)
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="panel" onSubmit={(e) => void ask(e)}>
        <h3>Ask for a new client</h3>
        <IssueList title="Not sent:" issues={issues} what="request" />
        <div className="field">
          <label htmlFor="c-name">The system that will use it (required)</label>
          <input id="c-name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
        </div>
        <fieldset>
          <legend>What it may do</legend>
          {SCOPES.map(([scope, label]) => (
            <div key={scope} className="field checkbox">
              <input
                id={`c-${scope}`}
                type="checkbox"
                checked={form.scopes.includes(scope)}
                onChange={(e) =>
                  setForm({ ...form, scopes: e.target.checked ? [...form.scopes, scope] : form.scopes.filter((s) => s !== scope) })
                }
              />
              <label htmlFor={`c-${scope}`}>{label}</label>
            </div>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor="c-why">Why (required)</label>
          <textarea id="c-why" rows={2} value={form.justification} onChange={(e) => setForm({ ...form, justification: e.target.value })} />
        </div>
        <button type="submit" className="primary">
          Ask an admin
        </button>
      </form>
    </section>
  );
}
