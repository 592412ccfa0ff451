import {
  AccountDeleteParamsSchema,
  AuthTokenSchema,
  ErrorBodySchema,
  LoginParamsSchema,
  PasswordChangeParamsSchema,
  RegisterParamsSchema,
  SessionListSchema,
  UserSchema,
} from '@metisai/sdk/schemas';
import { endpoint } from '../endpoint.ts';
import { requestMeta } from '../request-meta.ts';
import type { RouteDeps } from './deps.ts';
import { userPrincipal } from '../../security/principal.ts';

const sessionOnly = { description: 'Called with an API key (`insufficient_scope`): this needs a session', schema: ErrorBodySchema };

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
      400: { description: 'Invalid email, or a password too short, too long or too common', schema: ErrorBodySchema },
      403: { description: 'Registration is closed', schema: ErrorBodySchema },
      409: { description: 'Email already registered', schema: ErrorBodySchema },
      429: { description: 'Too many registrations from this address', schema: ErrorBodySchema },
    },
    handler: async (ctx, { body }) => {
      ctx.status = 201;
      ctx.body = await services.auth.register(ctx.state.em, body, requestMeta(ctx));
    },
  }),
  endpoint({
    method: 'post',
    path: '/auth/login',
    tag: 'auth',
    summary: 'Exchange email and password for an access token (a new session)',
    isPublic: true,
    body: LoginParamsSchema,
    responses: {
      200: { description: 'Logged in', schema: AuthTokenSchema },
      401: { description: 'Incorrect email or password', schema: ErrorBodySchema },
      429: { description: 'Too many attempts', schema: ErrorBodySchema },
    },
    handler: async (ctx, { body }) => {
      ctx.body = await services.auth.login(ctx.state.em, body, requestMeta(ctx));
    },
  }),
  endpoint({
    method: 'post',
    path: '/auth/logout',
    tag: 'auth',
    summary: 'Revoke the access token of this request; its open event streams end',
    scope: 'session',
    responses: { 204: { description: 'The token no longer works' }, 403: sessionOnly },
    handler: async (ctx) => {
      await services.auth.logout(ctx.state.em, userPrincipal(userPrincipal(ctx.state.principal)), requestMeta(ctx));
      ctx.status = 204;
    },
  }),
  endpoint({
    method: 'get',
    path: '/auth/profile',
    tag: 'auth',
    summary: 'The calling user',
    scope: 'read',
    agentAccess: 'any',
    responses: { 200: { description: 'The user', schema: UserSchema } },
    handler: async (ctx) => {
      ctx.body = await services.auth.profile(ctx.state.em, userPrincipal(ctx.state.principal));
    },
  }),
  endpoint({
    method: 'put',
    path: '/auth/password',
    tag: 'auth',
    summary: "Change the password; revokes the user's other sessions and every API key",
    scope: 'session',
    body: PasswordChangeParamsSchema,
    responses: {
      204: { description: 'Changed' },
      400: { description: 'Current password incorrect, or the new one too short, too long or too common', schema: ErrorBodySchema },
      403: sessionOnly,
    },
    handler: async (ctx, { body }) => {
      await services.auth.changePassword(ctx.state.em, userPrincipal(userPrincipal(ctx.state.principal)), body, requestMeta(ctx));
      ctx.status = 204;
    },
  }),
  endpoint({
    method: 'delete',
    path: '/auth/profile',
    tag: 'auth',
    summary: 'Delete the account and everything it owns (its sandboxes and workspaces included); asks for the password again',
    scope: 'session',
    body: AccountDeleteParamsSchema,
    responses: {
      204: { description: 'Deleted' },
      400: { description: 'The password is incorrect (`invalid_credentials`, naming `password`)', schema: ErrorBodySchema },
      403: sessionOnly,
    },
    handler: async (ctx, { body }) => {
      await services.accounts.delete(ctx.state.em, userPrincipal(userPrincipal(ctx.state.principal)), body, requestMeta(ctx));
      ctx.status = 204;
    },
  }),
  endpoint({
    method: 'get',
    path: '/auth/sessions',
    tag: 'auth',
    summary: 'Your live sessions (logins), newest first; `current` marks this one',
    scope: 'session',
    responses: { 200: { description: 'The sessions', schema: SessionListSchema }, 403: sessionOnly },
    handler: async (ctx) => {
      ctx.body = { data: await services.auth.listSessions(ctx.state.em, userPrincipal(ctx.state.principal)) };
    },
  }),
  endpoint({
    method: 'delete',
    path: '/auth/sessions/:id',
    tag: 'auth',
    summary: 'End one of your sessions: its token stops working and its event streams end, in every server process',
    scope: 'session',
    responses: { 204: { description: 'Ended' }, 403: sessionOnly, 404: { description: 'No such live session of yours', schema: ErrorBodySchema } },
    handler: async (ctx, { params }) => {
      await services.auth.revokeSession(ctx.state.em, userPrincipal(userPrincipal(ctx.state.principal)), params.id!, requestMeta(ctx));
      ctx.status = 204;
    },
  }),
  endpoint({
    method: 'delete',
    path: '/auth/sessions',
    tag: 'auth',
    summary: 'End every session of yours but this one (API keys stay)',
    scope: 'session',
    responses: { 204: { description: 'Ended' }, 403: sessionOnly },
    handler: async (ctx) => {
      await services.auth.revokeOtherSessions(ctx.state.em, userPrincipal(userPrincipal(ctx.state.principal)), requestMeta(ctx));
      ctx.status = 204;
    },
  }),
];
