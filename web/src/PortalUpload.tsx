import type { BatchAck, BatchList, BatchProgress, BatchRow, BatchRows } from '@contracts/views.js';
import { type ChangeEvent, useCallback, useEffect, useState } from 'react';
import { ApiError, api, type FieldIssue } from './api.js';
import { ErrorText, IssueList } from './ErrorText.js';

/** Bulk CSV upload with progress, per-row results and the error report to download. */

const TEMPLATE =
  'type,occurred_at,narrative,given_names,family_name_1,family_name_2,dob,sex,nationalities,languages,officer_name,officer_badge,location_line1,location_city,location_state,location_zip,concern\r\n';

function Bar({ p }: { p: BatchProgress }) {
  const total = p.totalRows ?? 0;
  const finished = p.refusedRows + p.submissions.accepted + p.submissions.rejected;
  return (
    <>
      <progress max={total || 1} value={p.status === 'split' ? finished : 0} aria-label={`Progress of ${p.filename ?? p.id}`} />{' '}
      {p.status === 'failed'
        ? 'could not be read — please call the center'
        : p.status !== 'split'
          ? 'waiting to be read…'
          : `${finished} of ${total} rows: ${p.submissions.accepted} accepted, ${p.submissions.rejected + p.refusedRows} with problems${p.done ? '' : ', processing…'}`}
    </>
  );
}

export function PortalUpload() {
  const [batches, setBatches] = useState<BatchProgress[]>([]);
  const [rows, setRows] = useState<{ id: string; rows: BatchRow[] } | null>(null);
  const [issues, setIssues] = useState<FieldIssue[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      setBatches((await api<BatchList>('GET', '/api/v1/portal/batches')).batches);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'Could not load uploads.');
    }
  }, []);
  const busy = batches.some((b) => !b.done);
  useEffect(() => {
    void load();
    const timer = window.setInterval(() => void load(), busy ? 2_000 : 15_000);
    return () => window.clearInterval(timer);
  }, [load, busy]);

  const upload = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    setIssues([]);
    setNotice(null);
    try {
      const ack = await api<BatchAck>(
        'POST',
        `/api/v1/portal/batches?filename=${encodeURIComponent(file.name.slice(0, 200))}`,
        await file.text(),
        'text/csv',
      );
      setNotice(`${file.name}: ${ack.rows} rows received. Progress below.`);
      await load();
    } catch (e) {
      if (e instanceof ApiError) setIssues(e.issues.length ? e.issues : [{ path: '', code: e.code, message: e.message }]);
    }
  };
  const showRows = async (id: string) => {
    try {
      setRows({ id, rows: (await api<BatchRows>('GET', `/api/v1/portal/batches/${id}/rows`)).rows });
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'Could not load the rows.');
    }
  };
  return (
    <section aria-labelledby="upload-h">
      <h2 id="upload-h">Upload many reports (CSV)</h2>
      <p>
        One report per row, with a header row; at most 5,000 rows per file.{' '}
        <a href={`data:text/csv;charset=utf-8,${encodeURIComponent(TEMPLATE)}`} download="switchboard-submissions-template.csv">
          Download the template
        </a>
        . Lists (nationalities, languages) are separated by semicolons.
      </p>
      <label htmlFor="csv-file">CSV file</label> <input id="csv-file" type="file" accept=".csv,text/csv" onChange={(e) => void upload(e)} />
      {notice && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
      {error && <ErrorText>{error}</ErrorText>}
      <IssueList title="The file was not accepted:" issues={issues} what="file" label={(path) => path} />
      <table>
        <caption>Your agency's uploads</caption>
        <thead>
          <tr>
            <th scope="col">File</th>
            <th scope="col">Received</th>
            <th scope="col">Progress</th>
            <th scope="col">Results</th>
          </tr>
        </thead>
        <tbody>
          {batches.map((b) => (
            <tr key={b.id}>
              <td>{b.filename ?? b.id}</td>
              <td>{new Date(b.receivedAt).toLocaleString()}</td>
              <td>
                <Bar p={b} />
              </td>
              <td>
                <button type="button" onClick={() => void showRows(b.id)}>
                  Rows
                </button>{' '}
                {b.refusedRows + b.submissions.rejected > 0 && <a href={`/api/v1/portal/batches/${b.id}/errors.csv`}>Error report (CSV)</a>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows && (
        <table>
          <caption>Rows of {batches.find((b) => b.id === rows.id)?.filename ?? rows.id}</caption>
          <thead>
            <tr>
              <th scope="col">Row</th>
              <th scope="col">Result</th>
              <th scope="col">Case reference or problems</th>
            </tr>
          </thead>
          <tbody>
            {rows.rows.map((r) => (
              <tr key={r.row}>
                <td>{r.row}</td>
                <td>{r.result}</td>
                <td>{r.reference ?? (r.issues.map((i) => `${i.column}: ${i.message}`).join('; ') || '—')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
