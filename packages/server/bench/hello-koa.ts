import Koa from 'koa';

/** The baseline: a bare Koa app answering "hello", on a port given in argv. */
const app = new Koa();
app.use((ctx) => {
  ctx.body = { hello: 'world' };
});
const server = app.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const address = server.address();
  console.log(JSON.stringify({ listening: typeof address === 'object' && address ? address.port : null }));
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
