import http from 'node:http';

/** A fault to inject on the next matching request(s). */
export interface Fault {
  method?: string;
  path?: RegExp;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** `before`: answer the fault without forwarding. `after`: forward, drop the real answer, answer the fault (a lost response). */
  when?: 'before' | 'after';
  times?: number;
}

export interface SeenRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  faulted: boolean;
}

/** An HTTP proxy in front of the server that injects 429/503 answers and records every request. */
export async function startFaultProxy(target: string) {
  const faults: Array<Fault & { left: number }> = [];
  const seen: SeenRequest[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const path = req.url ?? '/';
    const fault = faults.find(
      (candidate) => candidate.left > 0 && (!candidate.method || candidate.method === req.method) && (!candidate.path || candidate.path.test(path)),
    );
    seen.push({ method: req.method!, path, headers: req.headers, faulted: !!fault });
    const forward = async () => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers))
        if (typeof value === 'string' && name !== 'host' && name !== 'connection') headers.set(name, value);
      return fetch(`${target}${path}`, { method: req.method, headers, body: body.length > 0 ? body : undefined });
    };
    if (fault) {
      fault.left -= 1;
      if (fault.when === 'after') await (await forward()).arrayBuffer();
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      res.end(JSON.stringify(fault.body ?? { error: { code: fault.status === 429 ? 'rate_limited' : 'unavailable', message: `injected ${fault.status}` } }));
      return;
    }
    const upstream = await forward();
    const headers: Record<string, string> = {};
    upstream.headers.forEach((value, name) => {
      if (name !== 'content-encoding' && name !== 'content-length' && name !== 'transfer-encoding') headers[name] = value;
    });
    res.writeHead(upstream.status, headers);
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    inject(fault: Fault) {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    /** Drops every fault not yet used, and the record. */
    reset() {
      faults.length = 0;
      seen.length = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
