import dns, { type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import net from 'node:net';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import { type EgressPolicy, isHostAllowed, type RefusedRange, refusedRange } from './egress-policy.ts';

/**
 * The server refused an outbound request it was making for a user (see `EgressGuard`): the address `host` resolved to
 * is in a range it does not connect to (`range`: `loopback`, `private`, `linkLocal`, `metadata`, …), or the endpoint
 * answered with a redirect (`range` is `redirect`), which is never followed. Its `code` is `egress_refused`.
 */
export class EgressRefusedError extends Error {
  override name = 'EgressRefusedError';
  readonly code = 'egress_refused';
  readonly host: string;
  /** The address refused; absent for a redirect. */
  readonly address: string | undefined;
  readonly range: RefusedRange | 'redirect';
  constructor(host: string, address: string | undefined, range: RefusedRange | 'redirect') {
    super(
      range === 'redirect'
        ? `${host} answered with a redirect, which this server never follows: use the final URL`
        : `${host === address ? host : `${host} resolves to ${address}, which`} is in the ${describeRange(range)} range: this server does not connect there for users`,
    );
    this.host = host;
    this.address = address;
    this.range = range;
  }
}

const RANGE_NAMES: Record<string, string> = {
  loopback: 'loopback',
  private: 'private',
  linkLocal: 'link-local',
  carrierGradeNat: 'carrier-grade NAT',
  uniqueLocal: 'unique-local',
  ipv4Mapped: 'IPv4-mapped',
  rfc6052: 'NAT64',
  rfc6145: 'NAT64',
  metadata: 'cloud metadata',
  unspecified: 'unspecified',
  reserved: 'reserved',
};
const describeRange = (range: RefusedRange) => RANGE_NAMES[range] ?? range;

/** The `EgressRefusedError` somewhere in `err`'s cause chain (fetch and the `openai` client wrap it twice), if any. */
export function egressRefusalOf(err: unknown): EgressRefusedError | undefined {
  for (let cause = err, depth = 0; cause instanceof Error && depth < 8; cause = cause.cause, depth++) {
    if (cause instanceof EgressRefusedError) return cause;
  }
  return undefined;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * Every outbound request the server makes for a user goes through one of these: LLM calls and llm-test today, later git
 * clones and MCP. The address is checked **when the socket connects** — a lookup hook on the connection, so a name
 * that resolves to a public address at save time and to a private one later (DNS rebinding) is still refused — against
 * `EgressPolicy` (`refusedRange`). Host names allowed by `EGRESS_ALLOWED_HOSTS` (or the server's `LLM_BASE_URL`) skip
 * the check. Redirects are never followed. A refusal fails the request with `EgressRefusedError` as its cause; nothing
 * was sent, so no remote body can come back.
 */
export class EgressGuard {
  readonly policy: EgressPolicy;
  /** The undici dispatcher whose connections are checked; pass it as `dispatcher` to undici's `fetch` or `request`. */
  readonly dispatcher: Agent;

  constructor(policy: EgressPolicy) {
    this.policy = policy;
    const lookup = (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback) => {
      dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
        if (err) return callback(err, []);
        for (const { address } of addresses) {
          const range = refusedRange(this.policy, address);
          if (range) return callback(new EgressRefusedError(hostname, address, range) as NodeJS.ErrnoException, []);
        }
        if ((options as LookupAllOptions).all) return callback(null, addresses);
        const first = addresses[0];
        if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
        callback(null, first.address, first.family);
      });
    };
    const checked = buildConnector({ lookup } as buildConnector.BuildOptions);
    const direct = buildConnector({});
    this.dispatcher = new Agent({
      connect: (options, callback) => {
        const host = options.hostname;
        const port = Number(options.port) || (options.protocol === 'https:' ? 443 : 80);
        if (isHostAllowed(this.policy, host, port)) return direct(options, callback);
        // An IP written in the URL is connected to without a lookup: check it here.
        if (net.isIP(host)) {
          const range = refusedRange(this.policy, host);
          if (range) return callback(new EgressRefusedError(host, host, range), null);
        }
        return checked(options, callback);
      },
    });
  }

  /** Whether a URL's host, written as an IP, would be refused (save-time checks; names are checked when they connect). */
  literalRefusal(url: string): EgressRefusedError | undefined {
    const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
    if (!net.isIP(host)) return undefined;
    const port = Number(new URL(url).port) || (url.startsWith('https:') ? 443 : 80);
    if (isHostAllowed(this.policy, host, port)) return undefined;
    const range = refusedRange(this.policy, host);
    return range ? new EgressRefusedError(host, host, range) : undefined;
  }

  /**
   * `fetch` through the guard, redirects never followed: a 3xx answer fails the request (`redirect: 'error'`) with an
   * `EgressRefusedError` (`range: 'redirect'`) as its cause, like a refused address.
   */
  readonly fetch: typeof fetch = async (input, init) => {
    try {
      return (await undiciFetch(input as Parameters<typeof undiciFetch>[0], {
        ...(init as Parameters<typeof undiciFetch>[1]),
        redirect: 'error',
        dispatcher: this.dispatcher,
      })) as unknown as Response;
    } catch (err) {
      // undici's words for a redirect under `redirect: 'error'` (lib/web/fetch/index.js).
      if (err instanceof TypeError && err.cause instanceof Error && err.cause.message === 'unexpected redirect') {
        const url = input instanceof Request ? input.url : String(input);
        throw new TypeError('fetch failed', { cause: new EgressRefusedError(new URL(url).host, undefined, 'redirect') });
      }
      throw err;
    }
  };

  /** Closes the pooled connections. */
  close(): Promise<void> {
    return this.dispatcher.close();
  }
}
