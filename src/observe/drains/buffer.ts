// A drain's bounded line buffer: a ring that drops its oldest entry when full, so a drain that
// is down costs the platform a fixed amount of memory and never blocks the line being added.
import type { DrainEntry } from '../../core/drains.ts';
import { DRAIN_EVENT_TYPE } from '../../core/drains.ts';

export class DrainBuffer {
  readonly capacity: number;
  readonly #slots: (DrainEntry | undefined)[];
  #head = 0;
  #length = 0;
  /** Entries pushed out by newer ones, since the buffer was made. */
  dropped = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`drain buffer capacity must be a positive integer, not ${capacity}`);
    this.capacity = capacity;
    this.#slots = new Array<DrainEntry | undefined>(capacity);
  }

  get length(): number {
    return this.#length;
  }

  /** Adds an entry; returns how many entries it pushed out (0 or 1). O(1), never waits. */
  push(entry: DrainEntry): number {
    if (this.#length < this.capacity) {
      this.#slots[(this.#head + this.#length) % this.capacity] = entry;
      this.#length += 1;
      return 0;
    }
    // The report of dropped lines would only push out another line and be reported in turn.
    if (entry.stream === 'event' && entry.type === DRAIN_EVENT_TYPE) return 0;
    this.#slots[this.#head] = entry;
    this.#head = (this.#head + 1) % this.capacity;
    this.dropped += 1;
    return 1;
  }

  /** Removes and returns up to `max` of the oldest entries, oldest first. */
  take(max: number): DrainEntry[] {
    const count = Math.min(max, this.#length);
    const taken = new Array<DrainEntry>(count);
    for (let i = 0; i < count; i += 1) {
      const index = (this.#head + i) % this.capacity;
      taken[i] = this.#slots[index] as DrainEntry;
      this.#slots[index] = undefined;
    }
    this.#head = (this.#head + count) % this.capacity;
    this.#length -= count;
    return taken;
  }
}
