import type { HttpEvent, HttpResult } from './types.ts';

interface User {
  id: string;
  name: string;
}

const users = new Map<string, User>([['1', { id: '1', name: 'Ada' }]]);

const json = (statusCode: number, body: unknown): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  const caller = String(event.requestContext.authorizer?.lambda?.user ?? 'anonymous');
  if (event.routeKey === 'POST /users') {
    const input = JSON.parse(event.body ?? '{}') as Partial<User>;
    if (typeof input.name !== 'string') return json(400, { message: 'name is required' });
    const user = { id: String(users.size + 1), name: input.name };
    users.set(user.id, user);
    return json(201, { user, createdBy: caller });
  }
  const user = users.get(event.pathParameters?.id ?? '');
  if (user === undefined) return json(404, { message: 'no such user' });
  return json(200, { greeting: `${process.env.GREETING}, ${caller}`, user });
};
