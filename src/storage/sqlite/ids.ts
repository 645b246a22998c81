import { randomBytes } from 'node:crypto';

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

let lastMs = 0;
let sequence = 0;

/**
 * An id that sorts by creation time: base36 milliseconds, a per-process sequence within the
 * same millisecond, then randomness. Fixed width, so string order is creation order.
 */
export function sortableId(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    sequence = 0;
  } else {
    // The same millisecond, or the clock stepped back: keep counting from the last one.
    sequence += 1;
  }
  return lastMs.toString(36).padStart(9, '0') + sequence.toString(36).padStart(4, '0') + randomHex(4);
}
