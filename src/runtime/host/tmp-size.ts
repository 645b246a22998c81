import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/** Bytes used by the files below `dir` (links not followed); 0 when it is gone. */
export async function directorySize(dir: string): Promise<number> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let total = 0;
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await directorySize(full);
    else total += await lstat(full).then((stats) => stats.size, () => 0);
  }
  return total;
}
