// The HTTP credentials of a git request.

/** Basic (the password is the token, any user name) or Bearer. */
export function parseAuthorization(header: string | undefined): { user: string; token: string } | undefined {
  if (!header) return undefined;
  const [scheme, value = ''] = header.trim().split(/\s+/, 2);
  if (scheme?.toLowerCase() === 'bearer' && value) return { user: 'git', token: value };
  if (scheme?.toLowerCase() !== 'basic') return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const token = decoded.slice(colon + 1);
  if (!token) return undefined;
  // The user name only labels the push in git's reflog; keep it printable.
  const user = decoded.slice(0, colon).replace(/[^\w.@+-]/g, '').slice(0, 64);
  return { user, token };
}
