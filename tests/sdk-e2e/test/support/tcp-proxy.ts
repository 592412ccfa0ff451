import net from 'node:net';

/** A TCP proxy between the client and the server whose live connections a test can cut. */
export async function startTcpProxy(target: string) {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((client) => {
    connections += 1;
    const upstream = net.connect(Number(port), hostname);
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    /** Connections accepted so far. */
    get connections() {
      return connections;
    },
    /** Cuts every live connection (as a network loss would); new ones are still accepted. */
    sever() {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    async close() {
      this.sever();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
