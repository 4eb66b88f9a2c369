import type pg from 'pg';

/**
 * LISTEN on a channel with a client of its own, taken from the pool for as long as it listens (a pooled query
 * client would lose the subscription when returned). A lost connection is reopened after `retryMs`; notifications
 * sent meanwhile are lost, so a listener must also poll (the routing log's followers do, every second).
 */
export async function listen(
  pool: pg.Pool,
  channel: string,
  onNotify: (payload: string) => void,
  retryMs = 1000,
): Promise<() => Promise<void>> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
  let stopped = false;
  let client: pg.PoolClient | undefined;
  let retry: NodeJS.Timeout | undefined;
  const connect = async (): Promise<void> => {
    if (stopped) return;
    try {
      const c = await pool.connect();
      client = c;
      c.on('notification', (message) => {
        if (message.channel === channel) onNotify(message.payload ?? '');
      });
      c.on('error', () => {
        c.release(true);
        if (client === c) client = undefined;
        scheduleRetry();
      });
      await c.query(`LISTEN ${channel}`);
    } catch {
      scheduleRetry();
    }
  };
  const scheduleRetry = () => {
    if (stopped || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      void connect();
    }, retryMs);
    retry.unref();
  };
  await connect();
  return async () => {
    stopped = true;
    if (retry) clearTimeout(retry);
    const c = client;
    client = undefined;
    if (c) {
      await c.query(`UNLISTEN ${channel}`).catch(() => undefined);
      c.release();
    }
  };
}
