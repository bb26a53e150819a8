import { lookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Where a webhook endpoint may point: public addresses only, as Stripe requires a publicly
 * reachable URL. Deliveries run inside the customer's AWS account, so an endpoint aimed at
 * loopback (the Lambda runtime API), link-local (instance metadata), private or other
 * special-purpose ranges would make the dispatcher a way into that network. Only the local
 * stack's test mode is not limited, so that it delivers to localhost (Config.webhookPrivateTestUrls).
 */
const special = new BlockList();
const ranges: [string, number, 'ipv4' | 'ipv6'][] = [
  ['0.0.0.0', 8, 'ipv4'], // "this network"
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'], // carrier-grade NAT
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'], // link-local, instance metadata
  ['172.16.0.0', 12, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.0.2.0', 24, 'ipv4'], // documentation
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'], // benchmarking
  ['198.51.100.0', 24, 'ipv4'],
  ['203.0.113.0', 24, 'ipv4'],
  ['224.0.0.0', 3, 'ipv4'], // multicast, reserved, broadcast
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  ['::', 96, 'ipv6'], // IPv4-compatible (deprecated): ::a.b.c.d
  ['::ffff:0:0:0', 96, 'ipv6'], // IPv4-translated: ::ffff:0:a.b.c.d
  ['64:ff9b::', 96, 'ipv6'], // NAT64
  ['64:ff9b:1::', 48, 'ipv6'], // local-use NAT64
  ['2001::', 32, 'ipv6'], // Teredo (an obfuscated IPv4 address inside)
  ['100::', 64, 'ipv6'], // discard
  ['2001:db8::', 32, 'ipv6'], // documentation
  ['fc00::', 7, 'ipv6'], // unique local
  ['fe80::', 10, 'ipv6'], // link-local
  ['ff00::', 8, 'ipv6'], // multicast
];
// BlockList checks IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) against the IPv4 ranges.
for (const [network, prefix, family] of ranges) special.addSubnet(network, prefix, family);

/** The eight 16-bit groups of an IPv6 address (a trailing dotted IPv4 part included). */
function hextets(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -dotted[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const part = (s: string) => (s ? s.split(':').map((h) => parseInt(h, 16)) : []);
  const front = part(head);
  const back = tail === undefined ? [] : part(tail);
  return [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
}

const ipv4Of = (high: number, low: number) => `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;

/** The IPv4 address a 6to4 address (2002:a.b.c.d::/48) or an IPv4-mapped one carries, if any. */
function embeddedIpv4(address: string): string | undefined {
  const h = hextets(address);
  if (h[0] === 0x2002) return ipv4Of(h[1]!, h[2]!);
  if (h.slice(0, 5).every((x) => x === 0) && h[5] === 0xffff) return ipv4Of(h[6]!, h[7]!);
  return undefined;
}

/** True for an IP address outside every loopback, private, link-local and special-purpose range. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 6) {
    const inner = embeddedIpv4(address);
    if (inner !== undefined && !isPublicAddress(inner)) return false;
  }
  return !special.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** A URL host without the brackets of an IPv6 literal. */
const bare = (hostname: string) => hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Why `hostname` (a URL's) can never be public, or undefined when it may be: localhost names and
 * non-public address literals are refused before anything is resolved.
 */
export function nonPublicHost(hostname: string): string | undefined {
  // A fully qualified name may end in a dot ('localhost.'): the same host.
  const host = bare(hostname).toLowerCase().replace(/\.+$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return `${host} is this machine`;
  if (isIP(host) && !isPublicAddress(host)) return `${host} is not a public address`;
  return undefined;
}

export type Resolve = (hostname: string) => Promise<string[]>;

/** Every address `hostname` resolves to. */
export const resolveAll: Resolve = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/** A delivery refused because its host is, or resolves to, an address that is not public. */
export class NonPublicAddressError extends Error {
  override readonly name = 'NonPublicAddressError';
  readonly code = 'ENONPUBLIC';
}

/**
 * A `lookup` for `net.connect` that resolves with `resolve` and fails the connection when any
 * address is not public. The check is made where the socket gets its address, so a name pointed
 * elsewhere between a check and the connection (DNS rebinding) cannot slip through.
 */
export function publicOnlyLookup(resolve: Resolve = resolveAll): LookupFunction {
  return (hostname, options, callback) => {
    const done = callback as (error: Error | null, address?: string | LookupAddress[], family?: number) => void;
    resolve(hostname).then(
      (addresses) => {
        const inner = addresses.find((address) => !isPublicAddress(address));
        if (inner) return done(new NonPublicAddressError(`${hostname} resolves to ${inner}, which is not a public address`));
        const family = typeof options.family === 'number' ? options.family : 0;
        const found = addresses.map((address) => ({ address, family: isIP(address) })).filter((a) => family === 0 || a.family === family);
        if (found.length === 0) return done(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }));
        if (options.all) done(null, found);
        else done(null, found[0]!.address, found[0]!.family);
      },
      (error: Error) => done(error),
    );
  };
}
