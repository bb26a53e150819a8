import { describe, expect, it, vi } from 'vitest';
import { isPublicAddress, nonPublicHost, refusedHost } from '../../lib/webhooks/public-address';

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

  it('names the hosts that can never be public before resolving anything', () => {
    for (const host of ['localhost', 'LOCALHOST', 'api.localhost', '127.0.0.1', '[::1]', '169.254.169.254', '10.0.0.8']) expect(nonPublicHost(host), host).toBeDefined();
    for (const host of ['example.com', '8.8.8.8', '[2606:4700::1111]']) expect(nonPublicHost(host), host).toBeUndefined();
  });

  it('refuses a name when any address it resolves to is not public', async () => {
    expect(await refusedHost('hooks.example.com', async () => ['93.184.216.34'])).toBeUndefined();
    expect(await refusedHost('hooks.example.com', async () => ['93.184.216.34', '10.0.0.7'])).toBe('hooks.example.com resolves to 10.0.0.7, which is not a public address');
    const resolve = vi.fn(async () => ['93.184.216.34']);
    expect(await refusedHost('127.0.0.1', resolve)).toBe('127.0.0.1 is not a public address');
    expect(await refusedHost('8.8.8.8', resolve)).toBeUndefined();
    expect(resolve).not.toHaveBeenCalled();
  });
});
