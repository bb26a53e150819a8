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
  ['64:ff9b::', 96, 'ipv6'], // NAT64
  ['100::', 64, 'ipv6'], // discard
  ['2001:db8::', 32, 'ipv6'], // documentation
  ['fc00::', 7, 'ipv6'], // unique local
  ['fe80::', 10, 'ipv6'], // link-local
  ['ff00::', 8, 'ipv6'], // multicast
];
// BlockList checks IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) against the IPv4 ranges.
for (const [network, prefix, family] of ranges) special.addSubnet(network, prefix, family);

/** True for an IP address outside every loopback, private, link-local and special-purpose range. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return !special.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** A URL host without the brackets of an IPv6 literal. */
const bare = (hostname: string) => hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Why `hostname` (a URL's) can never be public, or undefined when it may be: localhost names and
 * non-public address literals are refused before anything is resolved.
 */
export function nonPublicHost(hostname: string): string | undefined {
  const host = bare(hostname).toLowerCase();
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
