// Outgoing connections that cannot reach inside: the address is judged where it is connected to
// (in the socket's DNS lookup), so a hostname that resolves to a public address when checked and a
// private one when used (DNS rebinding) is still refused. Every connection the relay opens to an
// upstream (relay/net/upstream-client.ts) looks names up through publicOnlyLookup.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { classifyAddress, type AddressKind } from './address.ts';

export class BlockedAddressError extends Error {
  override readonly name = 'BlockedAddressError';
  readonly code = 'ERR_BLOCKED_ADDRESS';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly kind: AddressKind
  ) {
    super(`${host} is a ${kind} address (${address}); the provider needs allowPrivateNetwork: true to reach it`);
  }
}

/** Throws BlockedAddressError when `hostname` is an IP literal outside the public internet. */
export function assertPublicLiteral(hostname: string): void {
  const classified = classifyAddress(hostname);
  if (classified && classified.kind !== 'public') throw new BlockedAddressError(hostname, classified.address, classified.kind);
}

/** A `net` lookup that resolves as usual, then refuses if any answer is not a public address. */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...(options as LookupOptions), all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    for (const { address } of addresses) {
      const classified = classifyAddress(address);
      // Refuse the whole answer, not just the bad entry: a name that mixes public and private
      // answers is either misconfigured or an attack, and happy-eyeballs would try them all.
      if (!classified || classified.kind !== 'public') {
        return callback(new BlockedAddressError(hostname, address, classified?.kind ?? 'reserved'), '', 0);
      }
    }
    const first = addresses[0];
    if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
    // Node's net calls lookup with all: true when it does happy-eyeballs (autoSelectFamily).
    if ((options as LookupOptions).all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    else callback(null, first.address, first.family);
  });
};

/** The hostname as sockets want it: URL keeps IPv6 literals in brackets. */
export function bareHostname(url: URL): string {
  const host = url.hostname;
  return host.startsWith('[') && host.endsWith(']') && isIP(host.slice(1, -1)) === 6 ? host.slice(1, -1) : host;
}
