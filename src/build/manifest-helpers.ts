// Small zod builders shared by the laambda.json schema: each carries the one message a user
// sees when the value is wrong, so every error says what is expected.
import { z } from 'zod';

/** The closest candidate within a small edit distance, for "did you mean" hints. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  const a = word.toLowerCase();
  for (const candidate of candidates) {
    const b = candidate.toLowerCase();
    let row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const next = [i];
      for (let j = 1; j <= b.length; j++) {
        next[j] = Math.min(next[j - 1]! + 1, row[j]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      }
      row = next;
    }
    const distance = row[b.length]!;
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

/** ` (did you mean "x"?)` or an empty string. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const guess = closest(word, candidates);
  return guess === undefined ? '' : ` (did you mean "${guess}"?)`;
}

/** An object that rejects unknown keys, naming the closest known one. */
export function strict<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') {
        const [key = ''] = issue.keys;
        if (issue.keys.length > 1) {
          return `unknown keys ${issue.keys.map((k) => `"${k}"`).join(', ')}; expected ${known.join(', ')}`;
        }
        const guess = closest(key, known);
        return guess === undefined ? `unknown key "${key}"; expected ${known.join(', ')}` : `unknown key "${key}"; did you mean "${guess}"?`;
      }
      return issue.code === 'invalid_type' ? 'must be an object' : undefined;
    },
  });
}

export function wholeNumber(min: number, max: number) {
  const error = `must be a whole number from ${min} to ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

/** A non-empty string, optionally matching a pattern (which JSON Schema editors check too). */
export function text(error: string, pattern?: RegExp) {
  const schema = z.string({ error }).min(1, { error });
  return pattern === undefined ? schema : schema.regex(pattern, { error });
}

export function list<T extends z.ZodType>(item: T, error: string) {
  return z.array(item, { error });
}

export function flag() {
  return z.boolean({ error: 'must be true or false' });
}

export function isRegExp(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}
