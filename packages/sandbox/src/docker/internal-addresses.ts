import { BlockList, isIP } from 'node:net';

/**
 * IPv4 ranges no sandbox and no image pull may reach: this network (`0.0.0.0/8`), private (RFC 1918), CGNAT
 * (`100.64.0.0/10`), loopback, link-local (cloud metadata `169.254.169.254` included), IETF protocol assignments
 * (`192.0.0.0/24`), benchmarking (`198.18.0.0/15`), multicast and reserved (`240.0.0.0/4`, broadcast included).
 * Documentation ranges (`192.0.2.0/24`, `198.51.100.0/24`, `203.0.113.0/24`) are not listed: they are never routed on
 * the internet, and some networks route them to their internet gateway or proxy.
 */
export const INTERNAL_IPV4_RANGES = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '224.0.0.0/4',
  '240.0.0.0/4',
] as const;

/** IPv6 ranges of the same kind: unspecified, loopback, IPv4-mapped, NAT64, unique-local, link-local, multicast. */
export const INTERNAL_IPV6_RANGES = ['::/128', '::1/128', '::ffff:0:0/96', '64:ff9b::/96', 'fc00::/7', 'fe80::/10', 'ff00::/8'] as const;

// One list per family: a BlockList checks an IPv4 address against IPv6 rules too (as `::ffff:a.b.c.d`), so the
// IPv4-mapped range would match every IPv4 address.
const blockList = (ranges: readonly string[], family: 'ipv4' | 'ipv6') => {
  const list = new BlockList();
  for (const range of ranges) {
    const [network, prefix] = range.split('/');
    list.addSubnet(network!, Number(prefix), family);
  }
  return list;
};
const internalV4 = blockList(INTERNAL_IPV4_RANGES, 'ipv4');
const internalV6 = blockList(INTERNAL_IPV6_RANGES, 'ipv6');

/** Whether `address` (an IPv4 or IPv6 literal) is in one of the internal ranges above; false for anything else. */
export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return family === 4 ? internalV4.check(address, 'ipv4') : internalV6.check(address, 'ipv6');
}
