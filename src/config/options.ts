import { z } from 'zod';

/** One platform setting, declared once: its type, default, variable, flag and help. */
export interface OptionDefinition<T extends z.ZodType = z.ZodType> {
  schema: T;
  default: z.output<T>;
  env: `LAAMBDA_${string}`;
  flag: string;
  help: string;
  /** Never printed: config reports show it as [redacted]. */
  secret?: boolean;
}

function option<T extends z.ZodType>(definition: OptionDefinition<T>): OptionDefinition<T> {
  return definition;
}

/** Variables arrive as text: numbers are coerced, then range-checked. */
const seconds = z.coerce.number().int().min(1);

export const OPTIONS = {
  dataDir: option({
    schema: z.string().min(1),
    default: '.laambda',
    env: 'LAAMBDA_DATA_DIR',
    flag: '--data-dir <dir>',
    help: 'where laambda keeps its state (environments, later the database and blobs)',
  }),
  logLevel: option({
    schema: z.enum(['debug', 'info', 'warn', 'error', 'silent']),
    default: 'info',
    env: 'LAAMBDA_LOG_LEVEL',
    flag: '--log-level <level>',
    help: 'platform log level: debug, info, warn, error or silent',
  }),
  region: option({
    schema: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as us-east-1'),
    default: 'us-east-1',
    env: 'LAAMBDA_REGION',
    flag: '--region <region>',
    help: 'the AWS region functions see (AWS_REGION)',
  }),
  python: option({
    schema: z.string().min(1).optional(),
    default: undefined,
    env: 'LAAMBDA_PYTHON',
    flag: '--python <path>',
    help: 'Python interpreter for python functions (default: the real one behind python3)',
  }),
  memoryEnforcement: option({
    schema: z.enum(['auto', 'cgroup', 'watchdog']),
    default: 'auto',
    env: 'LAAMBDA_MEMORY_ENFORCEMENT',
    flag: '--memory-enforcement <mode>',
    help: 'how memory limits are enforced: cgroup, watchdog (RSS polling) or auto',
  }),
  idleTimeout: option({
    schema: seconds,
    default: 600,
    env: 'LAAMBDA_IDLE_TIMEOUT',
    flag: '--idle-timeout <seconds>',
    help: 'seconds an idle environment stays warm before it is stopped',
  }),
  concurrency: option({
    schema: z.coerce.number().int().min(1).max(10_000),
    default: 100,
    env: 'LAAMBDA_CONCURRENCY',
    flag: '--concurrency <n>',
    help: 'concurrency limit of a function that sets none',
  }),
  partition: option({
    schema: z.enum(['aws', 'aws-cn', 'aws-us-gov']),
    default: 'aws',
    env: 'LAAMBDA_PARTITION',
    flag: '--partition <partition>',
    help: 'the AWS partition in function ARNs: aws, aws-cn or aws-us-gov',
  }),
  accountId: option({
    schema: z.string().regex(/^\d{12}$/, 'a 12-digit account id'),
    default: '000000000000',
    env: 'LAAMBDA_ACCOUNT_ID',
    flag: '--account-id <id>',
    help: 'the 12-digit account id in function ARNs',
  }),
  masterKey: option({
    schema: z.string().min(1).optional(),
    default: undefined,
    env: 'LAAMBDA_MASTER_KEY',
    flag: '--master-key <key>',
    help: 'server: 32-byte key (64 hex) encrypting config at rest; default: DATA_DIR/master.key, generated',
    secret: true,
  }),
  metricsPublic: option({
    schema: z
      .union([z.boolean(), z.enum(['true', 'false', '1', '0'])], { error: 'true or false' })
      .transform((value) => value === true || value === 'true' || value === '1'),
    default: false,
    env: 'LAAMBDA_METRICS_PUBLIC',
    flag: '--metrics-public <true|false>',
    help: 'server: serve /metrics without a token (default: an admin token is required)',
  }),
  logRetentionHours: option({
    schema: z.coerce.number().int().min(1).max(24 * 366),
    default: 168,
    env: 'LAAMBDA_LOG_RETENTION_HOURS',
    flag: '--log-retention-hours <hours>',
    help: 'server: hours log lines are kept (default 7 days)',
  }),
  logMaxMb: option({
    schema: z.coerce.number().int().min(1).max(1_000_000),
    default: 64,
    env: 'LAAMBDA_LOG_MAX_MB',
    flag: '--log-max-mb <mb>',
    help: "server: most megabytes of log lines kept per app; the oldest go first",
  }),
  metricsRetentionDays: option({
    schema: z.coerce.number().int().min(1).max(3660),
    default: 7,
    env: 'LAAMBDA_METRICS_RETENTION_DAYS',
    flag: '--metrics-retention-days <days>',
    help: 'server: days the per-minute metric rollups are kept',
  }),
  adminToken: option({
    schema: z.string().min(16).optional(),
    default: undefined,
    env: 'LAAMBDA_ADMIN_TOKEN',
    flag: '--admin-token <token>',
    help: 'server: the admin API token to accept (default: one generated on first start and printed once)',
    secret: true,
  }),
} as const;

export type OptionName = keyof typeof OPTIONS;

export type Config = { readonly [K in OptionName]: z.output<(typeof OPTIONS)[K]['schema']> };
