import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyAddress, isPublicAddress, parseIPv4, parseIPv6 } from './address.ts';

describe('classifyAddress', () => {
  it.each([
    // Every spelling of loopback a URL or inet_aton accepts.
    ['127.0.0.1', 'loopback', '127.0.0.1'],
    ['127.1', 'loopback', '127.0.0.1'],
    ['127.0.1', 'loopback', '127.0.0.1'],
    ['0x7f000001', 'loopback', '127.0.0.1'],
    ['0X7F.1', 'loopback', '127.0.0.1'],
    ['2130706433', 'loopback', '127.0.0.1'],
    ['0177.0.0.1', 'loopback', '127.0.0.1'],
    ['017700000001', 'loopback', '127.0.0.1'],
    ['127.0.0.1.', 'loopback', '127.0.0.1'],
    ['127.255.255.254', 'loopback', '127.255.255.254'],
    ['::1', 'loopback', '::1'],
    ['[::1]', 'loopback', '::1'],
    ['0:0:0:0:0:0:0:1', 'loopback', '::1'],
    ['::ffff:127.0.0.1', 'loopback', '127.0.0.1'],
    ['[::ffff:127.0.0.1]', 'loopback', '127.0.0.1'],
    ['::ffff:7f00:1', 'loopback', '127.0.0.1'],
    ['::127.0.0.1', 'loopback', '127.0.0.1'],
    ['::ffff:0:127.0.0.1', 'loopback', '127.0.0.1'],
    ['64:ff9b::127.0.0.1', 'loopback', '127.0.0.1'],
    ['64:ff9b::7f00:1', 'loopback', '127.0.0.1'],
    ['0.0.0.0', 'unspecified', '0.0.0.0'],
    ['0', 'unspecified', '0.0.0.0'],
    ['0x', 'unspecified', '0.0.0.0'],
    ['::', 'unspecified', '::'],
    ['10.0.0.1', 'private', '10.0.0.1'],
    ['012.1', 'private', '10.0.0.1'],
    ['172.16.0.1', 'private', '172.16.0.1'],
    ['172.31.255.255', 'private', '172.31.255.255'],
    ['192.168.1.1', 'private', '192.168.1.1'],
    ['0xc0a80101', 'private', '192.168.1.1'],
    ['3232235777', 'private', '192.168.1.1'],
    ['::ffff:192.168.1.1', 'private', '192.168.1.1'],
    ['::ffff:c0a8:101', 'private', '192.168.1.1'],
    ['fc00::1', 'private', 'fc00::1'],
    ['fd12:3456:789a::1', 'private', 'fd12:3456:789a::1'],
    ['fec0::1', 'private', 'fec0::1'],
    ['64:ff9b:1::1', 'private', '64:ff9b:1::1'],
    ['169.254.1.1', 'link-local', '169.254.1.1'],
    ['fe80::1', 'link-local', 'fe80::1'],
    ['fe80::1%eth0', 'link-local', 'fe80::1'],
    ['[fe80::abcd%25en0]', 'link-local', 'fe80::abcd'],
    ['100.64.0.1', 'cgnat', '100.64.0.1'],
    ['100.127.255.255', 'cgnat', '100.127.255.255'],
    ['224.0.0.1', 'multicast', '224.0.0.1'],
    ['239.255.255.250', 'multicast', '239.255.255.250'],
    ['ff02::1', 'multicast', 'ff02::1'],
    ['255.255.255.255', 'broadcast', '255.255.255.255'],
    ['169.254.169.254', 'cloud-metadata', '169.254.169.254'],
    ['0xa9fea9fe', 'cloud-metadata', '169.254.169.254'],
    ['2852039166', 'cloud-metadata', '169.254.169.254'],
    ['::ffff:169.254.169.254', 'cloud-metadata', '169.254.169.254'],
    ['::ffff:a9fe:a9fe', 'cloud-metadata', '169.254.169.254'],
    ['64:ff9b::a9fe:a9fe', 'cloud-metadata', '169.254.169.254'],
    ['169.254.170.2', 'cloud-metadata', '169.254.170.2'],
    ['100.100.100.200', 'cloud-metadata', '100.100.100.200'],
    ['168.63.129.16', 'cloud-metadata', '168.63.129.16'],
    ['192.0.0.192', 'cloud-metadata', '192.0.0.192'],
    ['fd00:ec2::254', 'cloud-metadata', 'fd00:ec2::254'],
    ['2002:7f00:1::1', 'loopback', '2002:7f00:1::1'],
    ['2002:a9fe:a9fe::1', 'cloud-metadata', '2002:a9fe:a9fe::1'],
    ['2001:0:4136:e378::1', 'reserved', '2001:0:4136:e378::1'],
    ['2001:db8::1', 'reserved', '2001:db8::1'],
    ['100::1', 'reserved', '100::1'],
    ['240.0.0.1', 'reserved', '240.0.0.1'],
    ['198.18.0.1', 'reserved', '198.18.0.1'],
    ['192.0.2.1', 'reserved', '192.0.2.1'],
    // And the public internet stays reachable.
    ['8.8.8.8', 'public', '8.8.8.8'],
    ['1.1.1.1', 'public', '1.1.1.1'],
    ['172.32.0.1', 'public', '172.32.0.1'],
    ['100.128.0.1', 'public', '100.128.0.1'],
    ['::ffff:8.8.8.8', 'public', '8.8.8.8'],
    ['64:ff9b::808:808', 'public', '8.8.8.8'],
    ['2606:4700:4700::1111', 'public', '2606:4700:4700::1111'],
    ['2002:808:808::1', 'public', '2002:808:808::1']
  ])('%s is %s', (input, kind, address) => {
    expect(classifyAddress(input)).toEqual({ kind, address });
  });

  it('returns null for hostnames, which are judged after DNS', () => {
    for (const host of ['localhost', 'api.openai.com', 'metadata.google.internal', '127.0.0.1.nip.io', '1.2.3.4.5', '08.1', '::g', '1:2:3:4:5:6:7:8:9']) {
      expect(classifyAddress(host), host).toBeNull();
    }
  });

  it('rejects out-of-range spellings instead of wrapping them', () => {
    expect(parseIPv4('256.0.0.1')).toBeNull();
    expect(parseIPv4('1.2.65536')).toBeNull();
    expect(parseIPv4('4294967296')).toBeNull();
    expect(parseIPv6('::ffff:1.2.3.256')).toBeNull();
  });

  it('sees every 127/8 address as loopback in every spelling', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 24 - 1 }), fc.constantFrom('dec', 'hex', 'oct', 'short', 'mapped'), (low, spelling) => {
        const value = 127 * 2 ** 24 + low;
        const b = [low >>> 16, (low >>> 8) & 255, low & 255];
        const text = {
          dec: String(value),
          hex: `0x${value.toString(16)}`,
          oct: `0${value.toString(8)}`,
          short: `127.${low}`,
          mapped: `::ffff:127.${b.join('.')}`
        }[spelling];
        expect(classifyAddress(text)?.kind).toBe('loopback');
      })
    );
  });

  it('agrees with the URL parser about what an IPv4 host means', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (value) => {
        const host = new URL(`http://${value}/`).hostname;
        expect(classifyAddress(String(value))?.address).toBe(host);
        expect(isPublicAddress(host)).toBe(isPublicAddress(String(value)));
      })
    );
  });
});
