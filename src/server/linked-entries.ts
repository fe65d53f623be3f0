/**
 * A set of entries that each carry their own links (an intrusive doubly linked list), for
 * long-lived collections that every request enters and leaves — the server's requests in flight.
 *
 * Not a `Set`, because of what V8's collector then does with every request: a Set keeps its
 * entries in a hash table that V8 replaces with a new table once deleted entries pile up; when the
 * Set lives in the old generation the new table is allocated there too, and the replaced table
 * keeps pointing at the entries it held until a full GC frees it. With one add and one delete per
 * request nearly every request sits in some replaced table, so each request's whole object graph
 * stayed reachable for the young-generation collector after the request ended: copied, promoted,
 * and marked again by the next full GC (measured in docs/performance.md, "Found: a Set per
 * request, and pretenuring").
 * Here an entry that leaves has its links cleared, so nothing dead points at anything young.
 */
export interface Linked<T> {
  /** Links of the list the entry is in (undefined when it is in none). */
  linkPrev: T | undefined;
  linkNext: T | undefined;
  linked: boolean;
}

export class LinkedEntries<T extends Linked<T>> {
  private head: T | undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(entry: T): void {
    if (entry.linked) return;
    entry.linkPrev = undefined;
    entry.linkNext = this.head;
    if (this.head) this.head.linkPrev = entry;
    this.head = entry;
    entry.linked = true;
    this.count++;
  }

  /** Removes the entry; false when it was not in the list. */
  delete(entry: T): boolean {
    if (!entry.linked) return false;
    if (entry.linkPrev) entry.linkPrev.linkNext = entry.linkNext;
    else this.head = entry.linkNext;
    if (entry.linkNext) entry.linkNext.linkPrev = entry.linkPrev;
    entry.linkPrev = undefined;
    entry.linkNext = undefined;
    entry.linked = false;
    this.count--;
    return true;
  }

  /** The entries now, newest first (a copy: the caller may delete entries while it goes through them). */
  toArray(): T[] {
    const out: T[] = [];
    for (let e = this.head; e; e = e.linkNext) out.push(e);
    return out;
  }
}
