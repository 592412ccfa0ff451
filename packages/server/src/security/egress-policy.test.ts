import { describe, expect, test } from 'vitest';
import { allowsPlainHttp, entryForUrl, type EgressPolicy, isHostAllowed, parseEgressAllowList, refusedRange } from './egress-policy.ts';

const strict: EgressPolicy = { allowPrivate: false, allowed: [] };
const laptop: EgressPolicy = { allowPrivate: true, allowed: [] };

describe('which addresses pass', () => {
  test.each([
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.1.1', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['::ffff:127.0.0.1', 'ipv4Mapped'],
    ['::ffff:8.8.8.8', 'ipv4Mapped'],
    ['64:ff9b::a00:1', 'rfc6052'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['169.254.169.254', 'metadata'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['224.0.0.1', 'multicast'],
    ['203.0.113.7', 'reserved'],
  ])('%s is refused (%s)', (address, range) => {
    expect(refusedRange(strict, address)).toBe(range);
  });

  test('public unicast passes', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111']) expect(refusedRange(strict, address)).toBeNull();
  });

  test('allowPrivate opens the private ranges, never metadata, 0.0.0.0 or multicast', () => {
    for (const address of ['127.0.0.1', '::1', '10.1.2.3', 'fd12::1', '::ffff:127.0.0.1']) expect(refusedRange(laptop, address)).toBeNull();
    expect(refusedRange(laptop, '169.254.169.254')).toBe('metadata');
    expect(refusedRange(laptop, '::ffff:169.254.169.254')).toBe('metadata');
    expect(refusedRange(laptop, '0.0.0.0')).toBe('unspecified');
    expect(refusedRange(laptop, '224.0.0.1')).toBe('multicast');
  });

  test('an allowed range or IP lets its addresses through, metadata included when named', () => {
    const policy: EgressPolicy = { allowPrivate: false, allowed: parseEgressAllowList('10.0.0.0/8, 169.254.169.254, fd00::/8') };
    expect(refusedRange(policy, '10.9.9.9')).toBeNull();
    expect(refusedRange(policy, '169.254.169.254')).toBeNull();
    expect(refusedRange(policy, 'fd00::5')).toBeNull();
    expect(refusedRange(policy, '192.168.0.1')).toBe('private');
  });
});

describe('EGRESS_ALLOWED_HOSTS', () => {
  test('hosts, host:port, bracketed IPv6 and CIDR', () => {
    const policy: EgressPolicy = { allowPrivate: false, allowed: parseEgressAllowList('Ollama.internal, vllm.internal:8000, [::1]:11434, 127.0.0.1') };
    expect(isHostAllowed(policy, 'ollama.internal', 443)).toBe(true);
    expect(isHostAllowed(policy, 'vllm.internal', 8000)).toBe(true);
    expect(isHostAllowed(policy, 'vllm.internal', 8001)).toBe(false);
    expect(isHostAllowed(policy, '::1', 11434)).toBe(true);
    expect(isHostAllowed(policy, '0:0:0:0:0:0:0:1', 11434)).toBe(true);
    expect(isHostAllowed(policy, '127.0.0.1', 1)).toBe(true);
    expect(isHostAllowed(policy, 'other.internal', 443)).toBe(false);
  });

  test.each(['10.0.0.0/33', 'http://x/y', 'a b', 'host:port'])('%s is refused with the entry named', (entry) => {
    expect(() => parseEgressAllowList(entry)).toThrow(entry);
  });

  test("the server's LLM_BASE_URL becomes its host and port", () => {
    expect(entryForUrl('http://LocalHost:11434/v1')).toEqual({ kind: 'host', host: 'localhost', port: 11434 });
    expect(entryForUrl('https://llm.example/v1')).toEqual({ kind: 'host', host: 'llm.example', port: 443 });
  });
});

describe('plain http (a clone that may carry a token)', () => {
  const plain = (policy: EgressPolicy, url: string) => allowsPlainHttp(policy, new URL(url));

  test('a public host is never reached over plain http, whatever the policy', () => {
    for (const policy of [strict, laptop]) {
      expect(plain(policy, 'http://github.com/acme/app.git')).toBe(false);
      expect(plain(policy, 'http://8.8.8.8/acme/app.git')).toBe(false);
    }
  });

  test('private addresses and localhost only where private egress is allowed; metadata never', () => {
    for (const url of ['http://127.0.0.1:8080/r.git', 'http://localhost/r.git', 'http://10.1.2.3/r.git', 'http://[::1]:9/r.git']) {
      expect(plain(laptop, url)).toBe(true);
      expect(plain(strict, url)).toBe(false);
    }
    expect(plain(laptop, 'http://169.254.169.254/r.git')).toBe(false);
  });

  test('hosts and ranges of EGRESS_ALLOWED_HOSTS may be reached over plain http', () => {
    const policy: EgressPolicy = { allowPrivate: false, allowed: parseEgressAllowList('git.internal, 10.9.0.0/16, mirror.example:8080') };
    expect(plain(policy, 'http://git.internal/r.git')).toBe(true);
    expect(plain(policy, 'http://10.9.1.1/r.git')).toBe(true);
    expect(plain(policy, 'http://mirror.example:8080/r.git')).toBe(true);
    expect(plain(policy, 'http://mirror.example/r.git')).toBe(false);
    expect(plain(policy, 'http://10.8.1.1/r.git')).toBe(false);
  });
});
