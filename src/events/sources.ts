// Event sources written the way the CLI takes them, and back:
//   queue:orders?batch=10&window=5&concurrency=4&partial=true&enabled=false
//   bucket:uploads?events=created,removed&prefix=logs/&suffix=.gz
//   schedule:rate(5 minutes)   schedule:cron(0 12 * * ? *)?enabled=false
//   http:GET:/users/{id}       http:ANY:/files/{proxy+}?payload=1.0      http:$default
// Parsing goes through laambda.json's own schema, so a source is valid on the command line
// exactly when it would be valid in laambda.json, with the same messages.
import type { EventSource } from '../core/app.ts';
import { LaambdaError } from '../core/errors.ts';
import { eventSchema } from '../build/manifest-events.ts';

const BUCKET_EVENT_WORDS: Record<string, string> = {
  created: 's3:ObjectCreated:*',
  removed: 's3:ObjectRemoved:*',
  put: 's3:ObjectCreated:Put',
  post: 's3:ObjectCreated:Post',
  copy: 's3:ObjectCreated:Copy',
  multipart: 's3:ObjectCreated:CompleteMultipartUpload',
  delete: 's3:ObjectRemoved:Delete',
};

const EXAMPLES = '`queue:orders?batch=10`, `bucket:uploads?events=created&prefix=logs/`, `schedule:rate(5 minutes)` or `http:GET:/users/{id}`';

function invalid(source: string, why: string): LaambdaError {
  return new LaambdaError('ERR_EVENT_SOURCE_INVALID', `Invalid event source "${source}": ${why}. Write it like ${EXAMPLES}.`);
}

type Options = Map<string, string>;

function splitQuery(source: string, text: string): { head: string; options: Options } {
  const at = text.indexOf('?');
  const head = at === -1 ? text : text.slice(0, at);
  const options: Options = new Map();
  if (at !== -1) {
    for (const pair of text.slice(at + 1).split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const name = decodeURIComponent(eq === -1 ? pair : pair.slice(0, eq));
      const value = eq === -1 ? 'true' : decodeURIComponent(pair.slice(eq + 1));
      if (options.has(name)) throw invalid(source, `"${name}" is given twice`);
      options.set(name, value);
    }
  }
  return { head, options };
}

function take(options: Options, names: readonly string[], source: string): Record<string, string> {
  const taken: Record<string, string> = {};
  for (const [name, value] of options) {
    if (!names.includes(name)) throw invalid(source, `unknown option "${name}" (options: ${names.join(', ')})`);
    taken[name] = value;
  }
  return taken;
}

function number(value: string | undefined): number | undefined {
  return value === undefined ? undefined : /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : (value as unknown as number);
}

function flag(value: string | undefined): boolean | undefined {
  return value === undefined ? undefined : value === 'true' ? true : value === 'false' ? false : (value as unknown as boolean);
}

function defined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

/** The laambda.json form of a CLI source, before validation. */
function toDeclaration(source: string): unknown {
  const colon = source.indexOf(':');
  const kind = colon === -1 ? source : source.slice(0, colon);
  const rest = colon === -1 ? '' : source.slice(colon + 1);
  switch (kind) {
    case 'queue': {
      const { head, options } = splitQuery(source, rest);
      const o = take(options, ['batch', 'window', 'concurrency', 'partial', 'enabled'], source);
      return defined({
        queue: head,
        batchSize: number(o.batch),
        maximumBatchingWindow: number(o.window),
        maximumConcurrency: number(o.concurrency),
        reportBatchItemFailures: flag(o.partial),
        enabled: flag(o.enabled),
      });
    }
    case 'bucket': {
      const { head, options } = splitQuery(source, rest);
      const o = take(options, ['events', 'prefix', 'suffix'], source);
      const events = o.events?.split(',').map((word) => BUCKET_EVENT_WORDS[word.trim()] ?? word.trim());
      return defined({ bucket: head, events, prefix: o.prefix, suffix: o.suffix });
    }
    case 'schedule': {
      // The expression keeps its own `?` (cron day fields): options start after its `)`.
      const close = rest.indexOf(')');
      if (close === -1) throw invalid(source, 'a schedule is rate(...) or cron(...)');
      const { options } = splitQuery(source, rest.slice(close + 1));
      if (rest.slice(close + 1) !== '' && !rest.slice(close + 1).startsWith('?')) throw invalid(source, `unexpected "${rest.slice(close + 1)}" after the expression`);
      const o = take(options, ['enabled'], source);
      return defined({ schedule: rest.slice(0, close + 1), enabled: flag(o.enabled) });
    }
    case 'http': {
      const { head, options } = splitQuery(source, rest);
      const o = take(options, ['payload', 'authorizer'], source);
      const route = head === '$default' ? head : head.replace(/^([A-Za-z]+):\//, '$1 /');
      return defined({ http: route, payload: o.payload, authorizer: o.authorizer });
    }
    default:
      throw invalid(source, `"${kind}" is not a kind of source (queue, bucket, schedule, http)`);
  }
}

interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  errors?: Issue[][];
}

/** laambda.json's union reports every branch: the one that is this kind fails on a real field. */
function closestIssue(issues: readonly Issue[]): Issue | undefined {
  const first = issues[0];
  if (first?.code !== 'invalid_union' || first.errors === undefined) return first;
  const branch = first.errors.find((branchIssues) => branchIssues.every((issue) => issue.path.length > 0 && issue.code !== 'unrecognized_keys'));
  return branch?.[0] ?? first;
}

/** Parses a CLI source; throws ERR_EVENT_SOURCE_INVALID saying what is wrong. */
export function parseEventSource(source: string): EventSource {
  const declaration = toDeclaration(source.trim());
  const parsed = eventSchema.safeParse(declaration);
  if (!parsed.success) {
    const issue = closestIssue(parsed.error.issues);
    const where = issue?.path.length ? `${issue.path.join('.')} ` : '';
    throw invalid(source, `${where}${issue?.message ?? 'is not valid'}`);
  }
  return parsed.data;
}

function query(options: Array<[string, string | number | boolean | undefined]>): string {
  const parts = options.filter(([, value]) => value !== undefined).map(([name, value]) => `${name}=${String(value)}`);
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

const EVENT_WORDS = Object.fromEntries(Object.entries(BUCKET_EVENT_WORDS).map(([word, name]) => [name, word]));

/** The canonical CLI form of a source (what `event-sources` lists); only non-default options. */
export function formatEventSource(source: EventSource): string {
  switch (source.kind) {
    case 'queue':
      return `queue:${source.queue}${query([
        ['batch', source.batchSize === 10 ? undefined : source.batchSize],
        ['window', source.maximumBatchingWindowSeconds === 0 ? undefined : source.maximumBatchingWindowSeconds],
        ['concurrency', source.maximumConcurrency],
        ['partial', source.reportBatchItemFailures ? true : undefined],
        ['enabled', source.enabled ? undefined : false],
      ])}`;
    case 'bucket': {
      const events = source.events.map((name) => EVENT_WORDS[name] ?? name).join(',');
      return `bucket:${source.bucket}${query([
        ['events', events === 'created' ? undefined : events],
        ['prefix', source.prefix],
        ['suffix', source.suffix],
      ])}`;
    }
    case 'schedule':
      return `schedule:${source.expression}${query([['enabled', source.enabled ? undefined : false]])}`;
    case 'http': {
      const route = source.route === '$default' ? '$default' : source.route.replace(' ', ':');
      return `http:${route}${query([
        ['payload', source.payloadVersion === '2.0' ? undefined : source.payloadVersion],
        ['authorizer', source.authorizer],
      ])}`;
    }
  }
}

/** What makes two sources the same source: the queue, bucket and filters, schedule, or route. */
export function sourceIdentity(source: EventSource): string {
  switch (source.kind) {
    case 'queue':
      return `queue:${source.queue}`;
    case 'bucket':
      return `bucket:${source.bucket}?prefix=${source.prefix ?? ''}&suffix=${source.suffix ?? ''}`;
    case 'schedule':
      return `schedule:${source.expression}`;
    case 'http':
      return `http:${source.route}`;
  }
}
