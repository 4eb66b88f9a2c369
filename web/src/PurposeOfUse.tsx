import { PURPOSE_CODES, type PurposeCode } from '@contracts/vocabulary.js';
import { useCallback, useEffect, useState } from 'react';
import { ApiError, api } from './api.js';

/**
 * Purpose of use: records of children (or of unknown age, or UAC cases) are opened with a reason from the list
 * (src/contracts/vocabulary.ts) and a few words; the server keeps both in the audit log with the read.
 */

export type Purpose = { code: PurposeCode; text: string };

/** The purpose code a <select> of PURPOSE_CODES gave back. */
export const purposeCodeOf = (value: string): PurposeCode => PURPOSE_CODES.find((code) => code === value) ?? 'other';

/** The URL with the purpose of use in its query, when one was stated. */
export const withPurpose = (url: string, purpose: Purpose | null) =>
  purpose ? `${url}${url.includes('?') ? '&' : '?'}purposeCode=${purpose.code}&purpose=${encodeURIComponent(purpose.text)}` : url;

/** Loads a record; when the server asks for a purpose of use, asks the user for one and tries again with it. */
export function usePurposefulLoad<T>(url: string | null) {
  const [data, setData] = useState<T | null>(null);
  const [needsPurpose, setNeedsPurpose] = useState(false);
  const [purpose, setPurpose] = useState<Purpose | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    if (!url) return;
    try {
      setData(await api<T>('GET', withPurpose(url, purpose)));
      setNeedsPurpose(false);
      setError(null);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'purpose_required') setNeedsPurpose(true);
      else setError(e instanceof ApiError ? e.message : 'Something went wrong.');
    }
  }, [url, purpose]);
  useEffect(() => {
    void load();
  }, [load]);
  return { data, needsPurpose, error, setPurpose, reload: load, purpose };
}

export function PurposeForm({
  onPurpose,
  heading = "This is a child's record",
  explain = 'Say why you are opening it. The reason is kept in the audit log with your name and the time.',
  submit = 'Open the record',
  idPrefix = 'purpose',
}: {
  onPurpose: (p: Purpose) => void;
  heading?: string;
  explain?: string;
  submit?: string;
  /** Ids of the form's fields (two forms on one page need two prefixes). */
  idPrefix?: string;
}) {
  const [code, setCode] = useState<PurposeCode>('case_work');
  const [text, setText] = useState('');
  return (
    <form
      className="purpose"
      onSubmit={(e) => {
        e.preventDefault();
        onPurpose({ code, text });
      }}
    >
      <h2>{heading}</h2>
      <p>{explain}</p>
      <label htmlFor={`${idPrefix}-code`}>Purpose</label>
      <select id={`${idPrefix}-code`} value={code} onChange={(e) => setCode(purposeCodeOf(e.target.value))}>
        {PURPOSE_CODES.map((p) => (
          <option key={p} value={p}>
            {p.replace(/_/g, ' ')}
          </option>
        ))}
      </select>
      <label htmlFor={`${idPrefix}-text`}>In your words (at least 10 characters)</label>
      <input id={`${idPrefix}-text`} value={text} onChange={(e) => setText(e.target.value)} minLength={10} required />
      <button type="submit" className="primary">
        {submit}
      </button>
    </form>
  );
}
