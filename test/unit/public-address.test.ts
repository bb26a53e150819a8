import type { LookupOptions } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { isPublicAddress, NonPublicAddressError, nonPublicHost, publicOnlyLookup } from '../../lib/webhooks/public-address';

describe('public addresses (where live endpoints may point)', () => {
  it('accepts public IPv4 and IPv6 addresses', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '93.184.216.34', '2606:4700::1111', '2a00:1450:4001::200e', '::ffff:8.8.8.8']) {
      expect(isPublicAddress(address), address).toBe(true);
    }
  });

  it('refuses loopback, private, link-local (instance metadata), CGNAT, multicast and special ranges, also as IPv4-mapped IPv6', () => {
    const inner = ['127.0.0.1', '127.8.9.10', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '255.255.255.255', '224.0.0.1'];
    const inner6 = ['::1', '::', 'fd00::1', 'fc12::1', 'fe80::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:169.254.169.254', '64:ff9b::a00:1', '2001:db8::1'];
    for (const address of [...inner, ...inner6]) expect(isPublicAddress(address), address).toBe(false);
    expect(isPublicAddress('example.com')).toBe(false);
  });

  it('refuses every IPv6 form that embeds or maps a non-public IPv4 address, and trailing-dot local names', () => {
    for (const host of ['[::127.0.0.1]', '[::7f00:1]', '[::ffff:0:7f00:1]', '[2002:7f00:1::]', '[2002:a9fe:a9fe::1]', '[64:ff9b:1::a9fe:a9fe]', '[2001:0:4136:e378::1]', 'localhost.', 'api.localhost.']) {
      expect(nonPublicHost(new URL(`https://${host}/hooks`).hostname), host).toBeDefined();
    }
    // 6to4 of a public IPv4 address is public.
    expect(nonPublicHost('[2002:808:808::1]')).toBeUndefined();
  });

  it('names the hosts that can never be public before resolving anything', () => {
    for (const host of ['localhost', 'LOCALHOST', 'api.localhost', '127.0.0.1', '[::1]', '169.254.169.254', '10.0.0.8']) expect(nonPublicHost(host), host).toBeDefined();
    for (const host of ['example.com', '8.8.8.8', '[2606:4700::1111]']) expect(nonPublicHost(host), host).toBeUndefined();
  });

  it('connects a public-only socket only to a name whose every address is public', async () => {
    const lookup = (resolved: string[], options: LookupOptions) =>
      new Promise<{ error: Error | null; address?: unknown; family?: number }>((done) =>
        publicOnlyLookup(async () => resolved)('hooks.example.com', options, (error, address, family) => done({ error, address, family })),
      );
    expect(await lookup(['93.184.216.34', '2606:2800:220:1::1'], { all: true })).toEqual({
      error: null,
      address: [{ address: '93.184.216.34', family: 4 }, { address: '2606:2800:220:1::1', family: 6 }],
      family: undefined,
    });
    expect(await lookup(['93.184.216.34'], {})).toEqual({ error: null, address: '93.184.216.34', family: 4 });
    expect(await lookup(['93.184.216.34', '2606:2800:220:1::1'], { family: 6 })).toEqual({ error: null, address: '2606:2800:220:1::1', family: 6 });
    expect((await lookup(['93.184.216.34'], { family: 6 })).error).toMatchObject({ code: 'ENOTFOUND' });

    const refused = await lookup(['93.184.216.34', '10.0.0.7'], { all: true });
    expect(refused.error).toBeInstanceOf(NonPublicAddressError);
    expect(refused.error!.message).toBe('hooks.example.com resolves to 10.0.0.7, which is not a public address');
    expect((await lookup(['::ffff:169.254.169.254'], {})).error).toBeInstanceOf(NonPublicAddressError);
  });
});
