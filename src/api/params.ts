// Path variables shared by the route groups. Names are checked by the services (an unknown app is
// ERR_APP_NOT_FOUND there), so these only say what shape a value has.
import { z } from 'zod';

export const appName = z.string().min(1);

/** `3` or `v3`. */
export const releaseVersion = z
  .string()
  .regex(/^v?[1-9]\d{0,8}$/, 'expected a release version such as 3 or v3')
  .transform((value) => Number(value.replace(/^v/, '')));

export const AppParams = z.object({ app: appName });
