// What a push may change: pure checks over the `old new ref` lines git gives the pre-receive hook.

export interface RefUpdate {
  oldId: string;
  newId: string;
  ref: string;
}

export const DEPLOY_BRANCHES = ['refs/heads/main', 'refs/heads/master'];

export function isZeroId(id: string): boolean {
  return /^0+$/.test(id);
}

export function parseRefUpdates(input: string): RefUpdate[] {
  const updates: RefUpdate[] = [];
  for (const line of input.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length !== 3) continue;
    const [oldId, newId, ref] = fields as [string, string, string];
    updates.push({ oldId, newId, ref });
  }
  return updates;
}

export type PushCheck = { ok: true; update: RefUpdate } | { ok: false; message: string; fix: string };

function shortRef(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, '');
}

/** A push deploys exactly one update of main or master, and never deletes it. */
export function checkPush(updates: RefUpdate[]): PushCheck {
  const others = updates.filter((update) => !DEPLOY_BRANCHES.includes(update.ref));
  const first = others[0];
  if (first) {
    const name = shortRef(first.ref);
    const isBranch = first.ref.startsWith('refs/heads/');
    return {
      ok: false,
      message: `laambda deploys only the main or master branch, not ${isBranch ? 'branch' : 'ref'} "${name}"`,
      fix: isBranch ? `push it as main: git push <remote> ${name}:main` : 'push a branch: git push <remote> main',
    };
  }
  if (updates.length !== 1 || !updates[0]) {
    return { ok: false, message: 'push main or master, not both at once', fix: 'git push <remote> main' };
  }
  const update = updates[0];
  if (isZeroId(update.newId)) {
    return {
      ok: false,
      message: `${shortRef(update.ref)} cannot be deleted: it is what the app runs`,
      fix: 'to remove the app, run laambda apps:destroy',
    };
  }
  return { ok: true, update };
}
