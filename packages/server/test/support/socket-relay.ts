import net from 'node:net';

/**
 * A byte relay: accepts connections on `listen` (a TCP address, or a unix socket `path`) and pipes each one, both
 * ways and unchanged, to a new connection to `target`. It never reads what passes: a TLS session goes through it end
 * to end. Answers the listening server once it listens (rejects with the listen error, e.g. `EADDRINUSE`); `close()`
 * on it also ends the connections it holds.
 *
 * Run as a script (`node socket-relay.ts <unix socket> <host> <port>`) it listens on the unix socket and connects to
 * `host:port`, printing `ready` once it listens: started with `nsenter --net=…`, it carries connections from a unix
 * socket on the shared filesystem to a TCP port of another network namespace.
 */
export async function startSocketRelay(listen: net.ListenOptions, target: net.NetConnectOpts): Promise<net.Server> {
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.once('close', () => open.delete(socket));
    }
    // Either side failing ends both; a clean end is passed on by pipe() (half-close included).
    const fail = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', fail);
    upstream.on('error', fail);
    client.pipe(upstream).pipe(client);
  });
  const close = server.close.bind(server);
  server.close = (callback?: (err?: Error) => void) => {
    close(callback);
    for (const socket of open) socket.destroy();
    return server;
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

if (import.meta.main) {
  const [socketPath, host, port] = process.argv.slice(2);
  if (!socketPath || !host || !port) throw new Error('usage: node socket-relay.ts <unix socket> <host> <port>');
  const server = await startSocketRelay({ path: socketPath }, { host, port: Number(port) });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
  process.stdout.write('ready\n');
}
