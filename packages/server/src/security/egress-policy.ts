import ipaddr from 'ipaddr.js';

/**
 * One entry of `EGRESS_ALLOWED_HOSTS`: a host name or IP (any port), `host:port`, or a CIDR range (any port).
 * Host names match the URL's host exactly (case-insensitive), before any lookup; ranges match the addresses a name
 * resolves to, or an IP written in the URL.
 */
export type EgressAllowEntry =
  | { kind: 'host'; host: string; port: number | undefined }
  | { kind: 'range'; range: [ipaddr.IPv4 | ipaddr.IPv6, number]; text: string };

/**
 * Cloud metadata endpoints: refused even where private egress is allowed (laptop mode), because nothing a user
 * configures is ever served there. AWS/GCP/Azure/OpenStack/Oracle `169.254.169.254`, AWS ECS `169.254.170.2`, AWS IPv6
 * `fd00:ec2::254`, Alibaba `100.100.100.200`.
 */
const METADATA_ADDRESSES = new Set(['169.254.169.254', '169.254.170.2', 'fd00:ec2::254', '100.100.100.200']);

/** Ranges nothing may connect to, whatever is allowed: `0.0.0.0/8` and `::` reach this host on Linux; multicast and broadcast are not endpoints. */
const NEVER = new Set(['unspecified', 'broadcast', 'multicast']);

/** Why an address was refused: an `ipaddr.js` range name (`loopback`, `private`, `linkLocal`, …) or `metadata`. */
export type RefusedRange = string;

export interface EgressPolicy {
  /**
   * Loopback, private, link-local, CGNAT, unique-local and the other non-public ranges pass too (`ALLOW_PRIVATE_EGRESS`,
   * default true in laptop mode). Metadata addresses, `0.0.0.0`, multicast and broadcast never pass this way.
   */
  allowPrivate: boolean;
  /** `EGRESS_ALLOWED_HOSTS`, plus the server's own `LLM_BASE_URL` host and port. Allowed whatever they resolve to. */
  allowed: readonly EgressAllowEntry[];
}

/** `host` and `port` of a URL the way a connection sees them (brackets of IPv6 literals removed, default ports filled). */
export function endpointOf(url: URL): { host: string; port: number } {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return { host, port };
}

/**
 * Parses `EGRESS_ALLOWED_HOSTS` (comma-separated `host`, `host:port`, `[v6]:port`, `IP` or `CIDR`). Throws an `Error`
 * naming the entry that is none of these.
 */
export function parseEgressAllowList(text: string): EgressAllowEntry[] {
  const entries: EgressAllowEntry[] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    entries.push(parseEntry(item));
  }
  return entries;
}

function parseEntry(item: string): EgressAllowEntry {
  if (item.includes('/')) {
    try {
      return { kind: 'range', range: ipaddr.parseCIDR(item), text: item };
    } catch {
      throw new Error(`"${item}" is not a CIDR range such as 10.0.0.0/8 or fd00::/8`);
    }
  }
  if (ipaddr.isValid(item)) return { kind: 'host', host: ipaddr.parse(item).toString(), port: undefined };
  let url: URL;
  try {
    url = new URL(`http://${item}`);
  } catch {
    throw new Error(`"${item}" is not a host, host:port or CIDR range`);
  }
  if (url.pathname !== '/' || url.username || url.search || url.hash) throw new Error(`"${item}" is not a host, host:port or CIDR range`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return { kind: 'host', host: ipaddr.isValid(host) ? ipaddr.parse(host).toString() : host, port: url.port ? Number(url.port) : undefined };
}

/** The allow-list entry for one URL's host and port (the server's own `LLM_BASE_URL`). */
export function entryForUrl(url: string): EgressAllowEntry {
  const { host, port } = endpointOf(new URL(url));
  return { kind: 'host', host: ipaddr.isValid(host) ? ipaddr.parse(host).toString() : host, port };
}

/** Whether an entry names this host (and port): exact, case-insensitive; IP literals compared in canonical form. */
export function isHostAllowed(policy: EgressPolicy, host: string, port: number): boolean {
  const wanted = ipaddr.isValid(host) ? ipaddr.parse(host).toString() : host.toLowerCase();
  return policy.allowed.some((entry) => entry.kind === 'host' && entry.host === wanted && (entry.port === undefined || entry.port === port));
}

/**
 * The range of `address` when it may not be connected to, else `null`. Only public unicast addresses pass
 * (`ipaddr.js` range `unicast`): loopback, private, link-local, CGNAT, unique-local, IPv4-mapped, NAT64, 6to4, Teredo,
 * documentation and other reserved ranges, `0.0.0.0` and metadata addresses are refused. An allowed range
 * (`EGRESS_ALLOWED_HOSTS` CIDR or IP) lets any address through; `allowPrivate` lets the non-public ranges through
 * except metadata, unspecified, broadcast and multicast.
 */
export function refusedRange(policy: EgressPolicy, address: string): RefusedRange | null {
  const parsed = ipaddr.parse(address);
  const canonical = parsed.toString();
  const allowedByEntry = policy.allowed.some((entry) => {
    if (entry.kind === 'host') return entry.host === canonical && entry.port === undefined;
    return entry.range[0].kind() === parsed.kind() && parsed.match(entry.range);
  });
  if (allowedByEntry) return null;
  // An IPv4-mapped IPv6 address is the IPv4 host it maps: judge metadata and never-ranges on that.
  const effective = parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress() ? (parsed as ipaddr.IPv6).toIPv4Address() : parsed;
  if (METADATA_ADDRESSES.has(effective.toString())) return 'metadata';
  const effectiveRange = effective.range();
  if (NEVER.has(effectiveRange)) return effectiveRange;
  const range = parsed.range();
  if (range === 'unicast') return null;
  return policy.allowPrivate ? null : range;
}

/**
 * Whether a plain `http:` URL may be used for something that carries credentials (a git clone): only when its host
 * stays where the operator opened the guard for — an `EGRESS_ALLOWED_HOSTS` entry (host, or a range holding an IP
 * written in the URL), or, with `allowPrivate`, `localhost` or a non-public IP written in the URL. A public host over
 * plain HTTP is refused: HTTPS is the only way there.
 */
export function allowsPlainHttp(policy: EgressPolicy, url: URL): boolean {
  const { host, port } = endpointOf(url);
  if (isHostAllowed(policy, host, port)) return true;
  if (host === 'localhost') return policy.allowPrivate;
  if (!ipaddr.isValid(host)) return false;
  const isPublic = refusedRange({ allowPrivate: false, allowed: [] }, host) === null;
  return !isPublic && refusedRange(policy, host) === null;
}
