import path from 'node:path';
import { watch } from 'chokidar';

export interface ChangeSet {
  /** Paths relative to the app directory, `/`-separated. */
  files: string[];
}

export interface AppWatcher {
  close(): Promise<void>;
}

export interface WatchOptions {
  appDir: string;
  /** Absolute directories never watched (the data dir). */
  ignoreDirs: string[];
  /** Quiet time after the last event before a change set is handed over. */
  debounceMs?: number;
  onChange(changes: ChangeSet): void;
  onError(error: Error): void;
}

const IGNORED_NAMES = new Set(['node_modules', '.git', '.laambda', '__pycache__', '.venv', '.pytest_cache', '.mypy_cache']);
// Editors write through temp files: vim's `4913` and `file~`, emacs' `.#file`, JetBrains' `___jb_tmp___`.
const EDITOR_NOISE = /(^|\/)(\.#|#.*#$|4913$)|~$|\.sw[px]$|___jb_(tmp|old)___$|\.pyc$/;

/** Watches an app directory and reports batches of changed files (saves often come as bursts). */
export function watchApp(options: WatchOptions): Promise<AppWatcher> {
  const debounceMs = options.debounceMs ?? 25;
  const ignoreDirs = options.ignoreDirs.map((dir) => path.resolve(dir));
  const ignored = (file: string): boolean => {
    const absolute = path.resolve(file);
    if (ignoreDirs.some((dir) => absolute === dir || absolute.startsWith(dir + path.sep))) return true;
    const relative = path.relative(options.appDir, absolute);
    if (relative === '') return false;
    return relative.split(path.sep).some((part) => IGNORED_NAMES.has(part)) || EDITOR_NOISE.test(relative);
  };
  const watcher = watch(options.appDir, { ignored, ignoreInitial: true, persistent: true });
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    const files = [...pending].sort();
    pending = new Set();
    if (files.length > 0) options.onChange({ files });
  };
  watcher.on('all', (_event, file) => {
    pending.add(path.relative(options.appDir, file).split(path.sep).join('/'));
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(flush, debounceMs);
  });
  watcher.on('error', (error) => options.onError(error instanceof Error ? error : new Error(String(error))));
  return new Promise((resolve) => {
    watcher.on('ready', () =>
      resolve({
        close: async () => {
          if (timer !== undefined) clearTimeout(timer);
          await watcher.close();
        },
      }),
    );
  });
}
