import type { EdgeCredential } from '../services/phone.service.js';
import { kamcmd } from './processes.js';

/**
 * The phones' digest credentials in the SIP edge's memory: Kamailio's `phones` htable (authentication user → HA1),
 * kept equal to what Switchboard issued through the edge's control socket (`kamcmd htable.sets` / `htable.delete`).
 * Nothing is written to disk and no database is given to Kamailio. Each sync sends only what changed since the last;
 * syncs run one at a time. The values are never logged.
 */

export type PhoneCredentialSource = {
  entries: () => Promise<EdgeCredential[]>;
  subscribe: (listener: () => Promise<void>) => () => void;
};

export class EdgePhones {
  private pushed = new Map<string, string>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctl: string,
    private readonly source: PhoneCredentialSource,
    private readonly log: (event: string, details: Record<string, unknown>) => void,
  ) {}

  /** Brings the edge up to date with the source; resolves when it is (a failure is logged, and retried by the next sync). */
  sync(): Promise<void> {
    const next = this.chain
      .then(() => this.apply())
      .catch((error: unknown) => this.log('edge_phones_sync_failed', { error: String(error) }));
    this.chain = next;
    return next;
  }

  private async apply(): Promise<void> {
    const wanted = new Map((await this.source.entries()).map((e) => [e.authUser, e.ha1]));
    let set = 0;
    let removed = 0;
    for (const [user, ha1] of wanted) {
      if (this.pushed.get(user) === ha1) continue;
      // `s:` makes kamcmd send a string even when it looks like a number (a SIP user "1001", an HA1 of digits only).
      await kamcmd(this.ctl, 'htable.sets', 'phones', `s:${user}`, `s:${ha1}`);
      this.pushed.set(user, ha1);
      set += 1;
    }
    for (const user of [...this.pushed.keys()]) {
      if (wanted.has(user)) continue;
      await kamcmd(this.ctl, 'htable.delete', 'phones', `s:${user}`);
      this.pushed.delete(user);
      removed += 1;
    }
    if (set + removed > 0) this.log('edge_phones_synced', { set, removed, total: this.pushed.size });
  }
}
