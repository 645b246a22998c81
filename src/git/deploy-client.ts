// The hook's side of a deploy: POST the archive, print the ndjson stream as it arrives.
// Runs inside the pre-receive hook process; imports only Node built-ins.

export interface DeployCall {
  url: string;
  token: string;
  revision: string;
  description: string;
  /** A tar archive of the pushed tree. */
  archive: ReadableStream<Uint8Array>;
  /** Prints one line to the pusher (git shows it as `remote: …`). */
  print(line: string): void;
}

interface ErrorShape {
  code?: unknown;
  message?: unknown;
  fix?: unknown;
}

/** Sends the archive and relays the build; true when it was released. */
export async function deploy(call: DeployCall): Promise<boolean> {
  const url = new URL(call.url);
  url.searchParams.set('source', 'git');
  url.searchParams.set('revision', call.revision);
  url.searchParams.set('description', call.description);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${call.token}`, 'content-type': 'application/x-tar' },
      body: call.archive,
      duplex: 'half',
    } as RequestInit);
  } catch (error) {
    printError(call.print, { code: 'ERR_GIT_FAILED', message: `could not send the code to ${url.origin}: ${describe(error)}` });
    return false;
  }
  if (response.status !== 200 || !response.body) {
    const text = await response.text().catch(() => '');
    printError(call.print, parseJson(text) ?? { code: `HTTP ${response.status}`, message: text.trim() || response.statusText });
    return false;
  }
  try {
    for await (const line of lines(response.body)) {
      const event = parseJson(line) as Record<string, unknown> | undefined;
      if (!event) {
        if (line.trim() !== '') call.print(line);
        continue;
      }
      if (event.type === 'step' || event.type === 'log') {
        call.print(String(event.message ?? ''));
      } else if (event.type === 'result') {
        if (event.ok === true) {
          const release = event.release as { version?: unknown } | undefined;
          call.print(`-----> Released v${String(release?.version ?? '?')}`);
          return true;
        }
        printError(call.print, (event.error as ErrorShape | undefined) ?? {});
        return false;
      }
    }
  } catch (error) {
    printError(call.print, { code: 'ERR_GIT_FAILED', message: `the deploy stream broke off: ${describe(error)}` });
    return false;
  }
  printError(call.print, { code: 'ERR_GIT_FAILED', message: 'the deploy stream ended without a result' });
  return false;
}

function printError(print: (line: string) => void, error: ErrorShape): void {
  print(`✘ ${String(error.code ?? 'ERROR')}: ${String(error.message ?? 'the deploy failed')}`);
  if (typeof error.fix === 'string' && error.fix !== '') print(`  fix: ${error.fix}`);
}

function parseJson(text: string): ErrorShape | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? (value as ErrorShape) : undefined;
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

/** Whole lines of a byte stream, each as soon as its newline arrives. */
async function* lines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      yield buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
    }
  }
  buffer += decoder.decode();
  if (buffer !== '') yield buffer;
}
