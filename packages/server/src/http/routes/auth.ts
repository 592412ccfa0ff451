import { AuthTokenSchema, ErrorBodySchema, LoginParamsSchema, PasswordChangeParamsSchema, RegisterParamsSchema, UserSchema } from '@metisai/sdk/schemas';
import { endpoint } from '../endpoint.ts';
import type { RouteDeps } from './deps.ts';

export const authEndpoints = ({ services }: RouteDeps) => [
  endpoint({
    method: 'post',
    path: '/auth/register',
    tag: 'auth',
    summary: 'Create an account and get an access token',
    isPublic: true,
    body: RegisterParamsSchema,
    responses: {
      201: { description: 'Registered', schema: AuthTokenSchema },
      403: { description: 'Registration is closed', schema: ErrorBodySchema },
      409: { description: 'Email already registered', schema: ErrorBodySchema },
    },
    handler: async (ctx, { body }) => {
      ctx.status = 201;
      ctx.body = await services.auth.register(ctx.state.em, body, ctx.ip);
    },
  }),
  endpoint({
    method: 'post',
    path: '/auth/login',
    tag: 'auth',
    summary: 'Exchange email and password for an access token',
    isPublic: true,
    body: LoginParamsSchema,
    responses: {
      200: { description: 'Logged in', schema: AuthTokenSchema },
      401: { description: 'Incorrect email or password', schema: ErrorBodySchema },
      429: { description: 'Too many attempts', schema: ErrorBodySchema },
    },
    handler: async (ctx, { body }) => {
      ctx.body = await services.auth.login(ctx.state.em, body, ctx.ip);
    },
  }),
  endpoint({
    method: 'post',
    path: '/auth/logout',
    tag: 'auth',
    summary: 'Revoke the access token of this request',
    responses: { 204: { description: 'The token no longer works' } },
    handler: async (ctx) => {
      await services.auth.logout(ctx.state.em, ctx.state.principal);
      ctx.status = 204;
    },
  }),
  endpoint({
    method: 'get',
    path: '/auth/profile',
    tag: 'auth',
    summary: 'The calling user',
    responses: { 200: { description: 'The user', schema: UserSchema } },
    handler: async (ctx) => {
      ctx.body = await services.auth.profile(ctx.state.em, ctx.state.principal);
    },
  }),
  endpoint({
    method: 'put',
    path: '/auth/password',
    tag: 'auth',
    summary: "Change the password; revokes the user's other tokens",
    body: PasswordChangeParamsSchema,
    responses: {
      204: { description: 'Changed' },
      400: { description: 'Current password incorrect or new one invalid', schema: ErrorBodySchema },
    },
    handler: async (ctx, { body }) => {
      await services.auth.changePassword(ctx.state.em, ctx.state.principal, body);
      ctx.status = 204;
    },
  }),
  endpoint({
    method: 'delete',
    path: '/auth/profile',
    tag: 'auth',
    summary: 'Delete the account and everything it owns',
    responses: { 204: { description: 'Deleted' } },
    handler: async (ctx) => {
      await services.accounts.delete(ctx.state.em, ctx.state.principal.userId);
      ctx.status = 204;
    },
  }),
];
