import { expect } from 'vitest';
import { CLI, type Running, run } from './processes.js';

/**
 * A partner agency's client against running Switchboard processes (for the tests that kill processes and
 * databases): made with the CLI, it submits location reports and reads their status back. Synthetic data only.
 */

export type ProbeClient = { credentials: string };

/** Adds the agency and an API client with the CLI (env: the nodes' database settings). */
export async function addProbeClient(env: Record<string, string>, children: Running[], ori: string): Promise<ProbeClient> {
  const cli = async (args: string[]): Promise<string> => {
    const child = run(CLI, args, env);
    children.push(child);
    const done = await child.exited;
    expect(done.code, child.stderr()).toBe(0);
    return child.stdout();
  };
  await cli(
    ['agency', 'add', '--ori', ori, '--name', 'Synthetic Probe County Sheriff', '--type', 'sheriff'].concat([
      '--model',
      'task_force',
      '--effective',
      '2025-01-01',
      '--county',
      'Cameron',
    ]),
  );
  const client = JSON.parse(await cli(['client', 'add', '--agency', ori, '--name', 'RMS', '--scopes', 'submissions:write', '--json'])) as {
    clientId: string;
    clientSecret: string;
  };
  return { credentials: `${client.clientId}:${client.clientSecret}` };
}

export async function probeToken(port: number, client: ProbeClient): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/api/partner/v1/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(client.credentials).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** One submission: its id when acknowledged (202), else the status and error code (0: no answer). */
export async function probeSubmit(port: number, token: string, label: string): Promise<{ id: string } | { status: number; code?: string }> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/partner/v1/submissions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'location_report',
        occurredAt: '2025-06-01T08:30:00-05:00',
        narrative: `Probe ${label}`,
        subject: { givenNames: 'Probe', familyName1: `Sintético ${label}` },
        location: { zip: '78520' },
      }),
    });
    const body = (await res.json()) as { id?: string; error?: { code: string } };
    if (res.status === 202 && body.id) return { id: body.id };
    return { status: res.status, ...(body.error ? { code: body.error.code } : {}) };
  } catch {
    return { status: 0 };
  }
}

/** Submits `count` and insists every one is acknowledged. */
export async function probeSubmitAll(port: number, token: string, label: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const result = await probeSubmit(port, token, `${label}-${i}`);
    if (!('id' in result)) throw new Error(`submission ${label}-${i} was refused: ${result.status} ${result.code ?? ''}`);
    ids.push(result.id);
  }
  return ids;
}

/** The status of each submission as the partner API reports it. */
export async function probeStatuses(port: number, token: string, ids: string[]): Promise<string[]> {
  return Promise.all(
    ids.map(async (id) => {
      const res = await fetch(`http://127.0.0.1:${port}/api/partner/v1/submissions/${id}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return ((await res.json()) as { status?: string }).status ?? `http ${res.status}`;
    }),
  );
}
