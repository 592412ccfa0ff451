import type { RequestMeta } from '../services/revocations.ts';
import type { AppContext } from './app-state.ts';

/** Where the request comes from, as the services want it: client IP, `User-Agent` and the request's logger. */
export const requestMeta = (ctx: AppContext): RequestMeta => ({ ip: ctx.ip, userAgent: ctx.get('User-Agent') || undefined, log: ctx.state.log });
