// Deploy progress as application/x-ndjson: one JSON line per event, written as the event arrives
// (the git hook and the CLI print the lines live).
import type { Logger } from '../core/ports.ts';
import type { DeployEvent } from '../core/services.ts';
import { publicError } from './errors.ts';
import { deployEventJson } from './views.ts';

export interface NdjsonOptions {
  requestId: string;
  log: Logger;
}

/**
 * Waits for the first event before answering, so a failure before any progress (an access check
 * an implementation makes lazily) is still a normal JSON error with its status.
 */
export async function deployStreamResponse(events: AsyncIterable<DeployEvent>, options: NdjsonOptions): Promise<Response> {
  const iterator = events[Symbol.asyncIterator]();
  let pending: IteratorResult<DeployEvent> | undefined = await iterator.next();
  let finished = false;
  // The client may go away while a pull waits for the next event (the git hook stops reading at
  // the result line): the controller is then closed and must not be touched again.
  let cancelled = false;
  const encoder = new TextEncoder();
  const line = (event: DeployEvent) => encoder.encode(`${JSON.stringify(deployEventJson(event))}\n`);

  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = pending ?? (await iterator.next());
          pending = undefined;
          if (cancelled) return;
          if (next.done) {
            finished = true;
            controller.close();
          } else {
            controller.enqueue(line(next.value));
          }
        } catch (error) {
          // Headers are gone: the failure becomes the stream's last line.
          finished = true;
          if (cancelled) return;
          const failure = publicError(error, options.requestId, options.log);
          controller.enqueue(
            line({ type: 'result', ok: false, build: null, error: { code: failure.code, message: failure.message, fix: failure.fix } }),
          );
          controller.close();
        }
      },
      cancel() {
        cancelled = true;
        // The client went away (Ctrl-C during `laambda deploy`): the build goes on and finishes
        // as it would have; only nobody reads its lines.
        if (!finished) void drain(iterator, options);
      },
    },
    // Pull only when the socket wants more, so nothing is read ahead of the client.
    { highWaterMark: 0 },
  );
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': 'application/x-ndjson; charset=utf-8',
      'cache-control': 'no-cache',
      // Reverse proxies (nginx) would otherwise hold the lines back.
      'x-accel-buffering': 'no',
    },
  });
}

async function drain(iterator: AsyncIterator<DeployEvent>, options: NdjsonOptions): Promise<void> {
  options.log.info({ requestId: options.requestId }, 'deploy client disconnected; the build continues');
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      if (next.value.type === 'result') options.log.info({ requestId: options.requestId, ok: next.value.ok }, 'deploy finished');
    }
  } catch (error) {
    options.log.error({ requestId: options.requestId, err: error }, 'deploy failed after the client disconnected');
  }
}
