/**
 * The environment every server-side git process runs with: explicit, never the platform's own,
 * so neither the operator's git config nor the server's secrets reach git or the hook.
 */
export interface GitEnvOptions {
  /** Where git may look for programs (git itself, git-http-backend's helpers, the hook's node). */
  path: string;
  /** Used as HOME; git finds no user config there because GIT_CONFIG_GLOBAL points at /dev/null. */
  home: string;
}

export function gitEnv(options: GitEnvOptions): Record<string, string> {
  return {
    PATH: options.path,
    HOME: options.home,
    LANG: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
  };
}
