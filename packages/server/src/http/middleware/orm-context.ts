import type { Middleware } from 'koa';
import type { Orm } from '../../db/orm.ts';
import type { AppState } from '../app-state.ts';

/** A fresh EntityManager (identity map, unit of work) for every request. */
export const ormContext =
  (orm: Orm): Middleware<AppState> =>
  async (ctx, next) => {
    ctx.state.em = orm.em.fork();
    await next();
  };
