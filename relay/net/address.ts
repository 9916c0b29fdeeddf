// Which network an address belongs to, as a pure function of its text. The relay refuses to
// connect to anything but the public internet unless a provider allows private networks, so this
// must see through every spelling an attacker (or a sloppy config) might use.

export type AddressKind =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cgnat'
  | 'multicast'
  | 'broadcast'
  | 'cloud-metadata'
  | 'reserved';

export interface Classified {
  /** The canonical form: dotted quad for IPv4 (also for IPv4 inside IPv6), compressed hex for IPv6. */
  address: string;
  kind: AddressKind;
}

/**
 * Parses IPv4 the way inet_aton and the WHATWG URL parser do: one to four parts, each decimal,
 * octal (leading 0) or hex (0x); the last part fills the remaining bytes. So `127.1`,
 * `0x7f000001`, `2130706433` and `0177.0.0.1` are all 127.0.0.1. Returns the 32-bit value.
 */
export function parseIPv4(text: string): number | null {
  const parts = text.split('.');
  // A trailing dot is allowed by URL parsers ("127.0.0.1.").
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length > 4) return null;
  const values: number[] = [];
  for (const part of parts) {
    let value: number;
    if (/^0x[0-9a-f]*$/i.test(part)) value = part.length === 2 ? 0 : parseInt(part.slice(2), 16);
    else if (/^0[0-7]+$/.test(part)) value = parseInt(part.slice(1), 8);
    else if (/^(0|[1-9][0-9]*)$/.test(part)) value = Number(part);
    else return null;
    if (!Number.isSafeInteger(value)) return null;
    values.push(value);
  }
  const last = values.pop();
  if (last === undefined) return null;
  let result = 0;
  for (const value of values) {
    if (value > 255) return null;
    result = result * 256 + value;
  }
  const remainingBytes = 4 - values.length;
  if (last >= 256 ** remainingBytes) return null;
  return result * 256 ** remainingBytes + last;
}

/** Parses an IPv6 address (brackets and a `%zone` allowed, embedded dotted IPv4 tail allowed) into 16 bytes. */
export function parseIPv6(text: string): Uint8Array | null {
  let s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = s.indexOf('%');
  if (zone !== -1) s = s.slice(0, zone);
  if (!s.includes(':')) return null;
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  const maybeV4 = s.slice(lastColon + 1);
  if (maybeV4.includes('.')) {
    // Only the strict dotted quad is valid inside IPv6.
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(maybeV4)) return null;
    const v4 = maybeV4.split('.').map(Number);
    if (v4.some((b) => b > 255)) return null;
    tail = v4;
    s = s.slice(0, lastColon + 1) + '0:0';
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (part: string | undefined) => (part ? part.split(':') : []);
  const head = groupsOf(halves[0]);
  const rest = groupsOf(halves[1]);
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  const bytes = new Uint8Array(16);
  for (const [i, group] of groups.entries()) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return null;
    const value = parseInt(group, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  }
  if (tail.length === 4) bytes.set(tail, 12);
  return bytes;
}

const ipv4Ranges: [prefix: string, bits: number, kind: AddressKind][] = [
  // Cloud metadata first: these sit inside wider ranges but deserve their own name in errors.
  ['169.254.169.254', 32, 'cloud-metadata'], // AWS, GCP, Azure, OpenStack, DigitalOcean
  ['169.254.170.2', 32, 'cloud-metadata'], // AWS ECS task credentials
  ['100.100.100.200', 32, 'cloud-metadata'], // Alibaba Cloud
  ['168.63.129.16', 32, 'cloud-metadata'], // Azure WireServer: a public address that only the host answers
  ['192.0.0.192', 32, 'cloud-metadata'], // Oracle Cloud
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'cgnat'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'], // IETF protocol assignments
  ['192.0.2.0', 24, 'reserved'], // documentation
  ['192.88.99.0', 24, 'reserved'], // 6to4 relay anycast
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'], // benchmarking
  ['198.51.100.0', 24, 'reserved'],
  ['203.0.113.0', 24, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  ['255.255.255.255', 32, 'broadcast'],
  ['240.0.0.0', 4, 'reserved']
];

const compiledV4 = ipv4Ranges.map(([prefix, bits, kind]) => ({
  base: parseIPv4(prefix)!,
  size: 2 ** (32 - bits),
  kind
}));

function classifyV4(value: number): AddressKind {
  for (const range of compiledV4) {
    if (value >= range.base && value < range.base + range.size) return range.kind;
  }
  return 'public';
}

function dotted(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

function v4At(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) >>> 0) + (bytes[offset + 1]! << 16) + (bytes[offset + 2]! << 8) + bytes[offset + 3]!;
}

function startsWith(bytes: Uint8Array, prefix: number[], bits: number): boolean {
  for (let bit = 0; bit < bits; bit += 8) {
    const i = bit / 8;
    const mask = bits - bit >= 8 ? 0xff : (0xff << (8 - (bits - bit))) & 0xff;
    if ((bytes[i]! & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

function compressV6(bytes: Uint8Array): string {
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[i * 2]! << 8) | bytes[i * 2 + 1]!).toString(16));
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.length && j - i > 1) best = { start: i, length: j - i };
    i = j;
  }
  if (best.start === -1) return groups.join(':');
  return `${groups.slice(0, best.start).join(':')}::${groups.slice(best.start + best.length).join(':')}`;
}

function classifyV6(bytes: Uint8Array): Classified {
  const address = compressV6(bytes);
  const zeroUpTo = (n: number) => bytes.subarray(0, n).every((b) => b === 0);
  // Forms that carry an IPv4 address: judge the IPv4 inside, since that is where packets go.
  const embedded = (offset: number): Classified => {
    const value = v4At(bytes, offset);
    return { address: dotted(value), kind: classifyV4(value) };
  };
  if (zeroUpTo(16)) return { address, kind: 'unspecified' };
  if (zeroUpTo(15) && bytes[15] === 1) return { address, kind: 'loopback' };
  if (zeroUpTo(10) && bytes[10] === 0xff && bytes[11] === 0xff) return embedded(12); // ::ffff:a.b.c.d (mapped)
  if (zeroUpTo(8) && bytes[8] === 0xff && bytes[9] === 0xff && bytes[10] === 0 && bytes[11] === 0) return embedded(12); // ::ffff:0:a.b.c.d (translated)
  if (zeroUpTo(12)) return embedded(12); // ::a.b.c.d (deprecated IPv4-compatible)
  if (startsWith(bytes, [0x00, 0x64, 0xff, 0x9b], 96)) return embedded(12); // NAT64 well-known prefix 64:ff9b::/96
  if (startsWith(bytes, [0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48)) return { address, kind: 'private' }; // local-use NAT64
  if (startsWith(bytes, [0x20, 0x02], 16)) {
    // 6to4: the IPv4 of the tunnel end sits in bytes 2-5.
    const inner = embedded(2);
    return inner.kind === 'public' ? { address, kind: 'public' } : { address, kind: inner.kind };
  }
  if (startsWith(bytes, [0x20, 0x01, 0x00, 0x00], 32)) return { address, kind: 'reserved' }; // Teredo hides an IPv4 tunnel end
  if (startsWith(bytes, [0x20, 0x01, 0x0d, 0xb8], 32)) return { address, kind: 'reserved' }; // documentation
  if (address === 'fd00:ec2::254') return { address, kind: 'cloud-metadata' }; // AWS metadata over IPv6
  if (startsWith(bytes, [0xfc], 7)) return { address, kind: 'private' }; // unique local fc00::/7
  if (startsWith(bytes, [0xfe, 0x80], 10)) return { address, kind: 'link-local' };
  if (startsWith(bytes, [0xfe, 0xc0], 10)) return { address, kind: 'private' }; // deprecated site-local
  if (startsWith(bytes, [0xff], 8)) return { address, kind: 'multicast' };
  // Everything outside global unicast 2000::/3 is unassigned or special-purpose.
  if (!startsWith(bytes, [0x20], 3)) return { address, kind: 'reserved' };
  return { address, kind: 'public' };
}

/**
 * Classifies a host if it is an IP literal in any spelling (IPv4 shorthand, hex, octal, decimal
 * integer, IPv6 with or without brackets or zone); returns null for a hostname that needs DNS.
 */
export function classifyAddress(host: string): Classified | null {
  const v6 = parseIPv6(host);
  if (v6) return classifyV6(v6);
  const v4 = parseIPv4(host);
  if (v4 === null) return null;
  return { address: dotted(v4), kind: classifyV4(v4) };
}

/** True for addresses a relay may reach without `allowPrivateNetwork`. */
export function isPublicAddress(host: string): boolean {
  return classifyAddress(host)?.kind === 'public';
}
