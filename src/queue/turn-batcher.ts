/**
 * Groups the calls made in one event-loop turn into one flush (one Lua script call), which is
 * what makes a Redis queue fast in Node: N jobs cost one round trip and one script run instead
 * of N. Results come back to each caller in order. A batch is many items, not one: an Error
 * in an item's place of the results rejects that item's caller alone.
 *
 * With no flush in flight, a call is sent at once (no wait for the end of the turn: an idle
 * system answers one job sooner); the calls that follow it, while it is in flight, are
 * grouped. So batches form only under load, where they pay.
 */
export class TurnBatcher<T, R> {
  private pending: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly flushFn: (items: readonly T[]) => Promise<readonly (R | Error)[]>,
    private readonly maxBatch = 500,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.maxBatch || (this.inFlight === 0 && !this.scheduled)) {
        this.flush();
      } else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Sends what is waiting for the end of the turn now (answers come as usual). */
  flushPending(): void {
    if (this.pending.length > 0) this.flush();
  }

  /** Resolves once everything added so far has been flushed and answered. */
  async drain(): Promise<void> {
    if (this.pending.length > 0) this.flush();
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private flush(): void {
    this.scheduled = false;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      this.inFlight += 1;
      this.flushFn(batch.map((p) => p.item))
        .then(
          (results) =>
            batch.forEach((p, i) => {
              const result = results[i];
              if (result instanceof Error) p.reject(result);
              else if (i >= results.length)
                p.reject(new Error(`no answer for item ${i} of ${batch.length}`));
              else p.resolve(result as R);
            }),
          (err: unknown) => batch.forEach((p) => p.reject(err)),
        )
        .finally(() => {
          this.inFlight -= 1;
          if (this.inFlight === 0 && this.pending.length === 0) {
            for (const wake of this.idleWaiters.splice(0)) wake();
          }
        });
    }
  }
}
