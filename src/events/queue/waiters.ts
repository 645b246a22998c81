// Long polling inside one process: a receive that found nothing sleeps until a send (or another
// change that makes messages visible) wakes its queue, its timer fires, or its signal aborts.

export class Waiters {
  readonly #byQueue = new Map<string, Set<() => void>>();
  readonly #all = new Set<() => void>();
  // Wakes per queue, so a receive that looked at the queue can tell a send happened between its
  // look and its wait (otherwise that wake-up would be lost and the poll would sleep on).
  readonly #versions = new Map<string, number>();

  version(queueId: string): number {
    return this.#versions.get(queueId) ?? 0;
  }

  /**
   * Resolves on wake(queueId), wakeAll(), after `ms`, or when `signal` aborts; never rejects.
   * Resolves at once when the queue was woken since `seen` (a version() reading).
   */
  wait(queueId: string, ms: number, signal: AbortSignal | undefined, seen: number): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted || ms <= 0 || this.version(queueId) !== seen) {
        resolve();
        return;
      }
      let set = this.#byQueue.get(queueId);
      if (set === undefined) {
        set = new Set();
        this.#byQueue.set(queueId, set);
      }
      const queueSet = set;
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        queueSet.delete(done);
        if (queueSet.size === 0 && this.#byQueue.get(queueId) === queueSet) this.#byQueue.delete(queueId);
        this.#all.delete(done);
        resolve();
      };
      // Timers beyond 2^31-1 ms fire at once; a long poll is at most 20 s, a delay 15 min.
      const timer = setTimeout(done, Math.min(ms, 2_147_483_647));
      queueSet.add(done);
      this.#all.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  wake(queueId: string): void {
    this.#versions.set(queueId, (this.#versions.get(queueId) ?? 0) + 1);
    const set = this.#byQueue.get(queueId);
    if (set === undefined) return;
    for (const done of [...set]) done();
  }

  wakeAll(): void {
    for (const done of [...this.#all]) done();
  }
}
