import type { CasePage } from '@contracts/views.js';
import { type FormEvent, useState } from 'react';
import { ApiError, api } from './api.js';
import { ErrorText } from './ErrorText.js';

/** Case search: by case number, words or a name, phone, place, field office and status. */

export function CaseSearch() {
  const [query, setQuery] = useState({ q: '', phone: '', address: '', aor: '', status: '' });
  const [result, setResult] = useState<CasePage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const search = async (event?: FormEvent) => {
    event?.preventDefault();
    const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v.trim() !== ''));
    try {
      setResult(await api<CasePage>('GET', `/api/v1/cases?${params.toString()}`));
      setError(null);
    } catch (e) {
      setError(e instanceof ApiError ? [e.message, ...e.issues.map((i) => `${i.path}: ${i.message}`)].join(' ') : 'Search failed.');
    }
  };
  const field = (key: keyof typeof query, label: string) => (
    <div className="field">
      <label htmlFor={`cs-${key}`}>{label}</label>
      <input id={`cs-${key}`} value={query[key]} onChange={(e) => setQuery({ ...query, [key]: e.target.value })} />
    </div>
  );
  return (
    <div className="cases">
      <h1>Cases</h1>
      <form className="search" onSubmit={(e) => void search(e)}>
        {field('q', 'Case number, words or a name')}
        {field('phone', 'Phone')}
        {field('address', 'Street, city or ZIP')}
        {field('aor', 'Field office (e.g. HLG)')}
        <div className="field">
          <label htmlFor="cs-status">Status</label>
          <select id="cs-status" value={query.status} onChange={(e) => setQuery({ ...query, status: e.target.value })}>
            <option value="">Any</option>
            {['new', 'triage', 'active', 'referred', 'closed'].map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="primary">
          Search
        </button>
      </form>
      {error && <ErrorText>{error}</ErrorText>}
      {result && (
        <table>
          <caption>
            {result.total} case{result.total === 1 ? '' : 's'} found
          </caption>
          <thead>
            <tr>
              <th scope="col">Case</th>
              <th scope="col">Type</th>
              <th scope="col">Status</th>
              <th scope="col">Priority</th>
              <th scope="col">Office</th>
              <th scope="col">Summary</th>
            </tr>
          </thead>
          <tbody>
            {result.cases.map((c) => (
              <tr key={c.id}>
                <th scope="row">
                  <a href={`#/cases/${c.id}`}>{c.caseNumber}</a>
                </th>
                <td>{c.type.replace(/_/g, ' ')}</td>
                <td>{c.status}</td>
                <td>{c.priority}</td>
                <td>{c.aorOfficeCode ?? '—'}</td>
                <td>{c.summary}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
