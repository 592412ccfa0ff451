import type { Middleware } from 'koa';

/** Runs middleware in order as one (koa-compose, typed for our state). */
export function compose<S>(stack: Middleware<S>[]): Middleware<S> {
  return (ctx, next) => {
    const run = (index: number): Promise<void> => {
      const middleware = stack[index];
      if (!middleware) return next();
      return Promise.resolve(middleware(ctx, () => run(index + 1)));
    };
    return run(0);
  };
}
