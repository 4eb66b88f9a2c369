/**
 * Workers who could take a call, in longest-idle order (idle since, then join
 * order). The usual traffic — the longest idle worker leaves from the front, a
 * newly idle one joins at the back — costs O(1) amortised: removals are marked
 * and skipped, and the array is compacted now and then; only a return to an
 * older place (an offer withdrawn) inserts in the middle.
 */
type Entry<T> = { item: T; idleSince: number; joinOrder: number; alive: boolean };

export class IdleOrder<T extends { id: string }> {
  private entries: Entry<T>[] = [];
  private head = 0;
  private dead = 0;
  private readonly byId = new Map<string, Entry<T>>();

  get size(): number {
    return this.byId.size;
  }

  /** The order as data (for the engine's snapshot); the entries are live. */
  exportState(): { entries: Entry<T>[]; head: number; dead: number } {
    return { entries: this.entries, head: this.head, dead: this.dead };
  }

  /** Takes the order `exportState` gave (its entries become this order's own). */
  loadState(state: { entries: Entry<T>[]; head: number; dead: number }): void {
    this.entries = state.entries;
    this.head = state.head;
    this.dead = state.dead;
    this.byId.clear();
    for (const entry of state.entries) if (entry.alive) this.byId.set(entry.item.id, entry);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  keyOf(id: string): { idleSince: number; joinOrder: number } | undefined {
    return this.byId.get(id);
  }

  add(item: T, idleSince: number, joinOrder: number): void {
    if (this.byId.has(item.id)) this.remove(item.id);
    const entry: Entry<T> = { item, idleSince, joinOrder, alive: true };
    const last = this.entries[this.entries.length - 1];
    if (!last || last.idleSince < idleSince || (last.idleSince === idleSince && last.joinOrder < joinOrder)) this.entries.push(entry);
    else {
      let lo = this.head;
      let hi = this.entries.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        const e = this.entries[mid] as Entry<T>;
        if (e.idleSince < idleSince || (e.idleSince === idleSince && e.joinOrder < joinOrder)) lo = mid + 1;
        else hi = mid;
      }
      this.entries.splice(lo, 0, entry);
    }
    this.byId.set(item.id, entry);
  }

  remove(id: string): void {
    const entry = this.byId.get(id);
    if (!entry) return;
    entry.alive = false;
    this.byId.delete(id);
    this.dead += 1;
    while (this.head < this.entries.length && !(this.entries[this.head] as Entry<T>).alive) {
      this.head += 1;
      this.dead -= 1;
    }
    if (this.dead > 256 && this.dead * 2 > this.entries.length - this.head) this.compact();
    else if (this.head > 4096 && this.head * 2 > this.entries.length) this.compact();
  }

  private compact(): void {
    this.entries = this.entries.slice(this.head).filter((e) => e.alive);
    this.head = 0;
    this.dead = 0;
  }

  /** The first item, longest idle first, for which `test` holds. */
  find(test: (item: T) => boolean): T | undefined {
    for (let i = this.head; i < this.entries.length; i++) {
      const entry = this.entries[i] as Entry<T>;
      if (entry.alive && test(entry.item)) return entry.item;
    }
    return undefined;
  }
}
