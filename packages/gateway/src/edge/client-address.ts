/**
 * The address a request comes from, for the login throttle: the socket's, unless the socket is a
 * configured trusted proxy (GATEWAY_TRUSTED_PROXIES) that sent X-Forwarded-For. Then it is the
 * right-most address in that header that is not itself a trusted proxy: everything left of it
 * was written by the client and proves nothing.
 */
import { BlockList, isIP } from 'node:net';
import type Hapi from '@hapi/hapi';

export class TrustedProxies {
  private readonly list = new BlockList();
  readonly empty: boolean;

  /** `spec`: comma-separated addresses or CIDRs, e.g. `10.0.0.0/8, 127.0.0.1, ::1`. */
  constructor(spec: string) {
    const entries = spec.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    for (const entry of entries) {
      const [address = '', bits] = entry.split('/');
      const family = isIP(address);
      if (family === 0) throw new Error(`GATEWAY_TRUSTED_PROXIES: "${entry.slice(0, 60)}" is not an address or CIDR`);
      const type = family === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.list.addAddress(address, type);
      else {
        const prefix = Number(bits);
        if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
          throw new Error(`GATEWAY_TRUSTED_PROXIES: "${entry.slice(0, 60)}" has a bad prefix length`);
        }
        this.list.addSubnet(address, prefix, type);
      }
    }
    this.empty = entries.length === 0;
  }

  trusts(address: string): boolean {
    const plain = unmapped(address);
    const family = isIP(plain);
    if (this.empty || family === 0) return false;
    return this.list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
  }
}

/** `::ffff:10.0.0.1` (an IPv4 client on a dual-stack socket) is `10.0.0.1`. */
const unmapped = (address: string): string => (address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address);

/** The pure rule, over the socket address and the X-Forwarded-For header as sent. */
export function addressFrom(socketAddress: string, forwardedFor: string | undefined, proxies: TrustedProxies): string {
  const socket = unmapped(socketAddress);
  if (!forwardedFor || !proxies.trusts(socket)) return socket;
  const hops = forwardedFor.split(',').map((s) => unmapped(s.trim()));
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (isIP(hop) === 0) return socket; // garbage in the chain: trust nothing beyond the proxy
    if (!proxies.trusts(hop)) return hop;
  }
  return socket;
}

export function clientAddress(request: Hapi.Request, proxies: TrustedProxies): string {
  const header = request.headers['x-forwarded-for'];
  return addressFrom(request.info.remoteAddress, typeof header === 'string' ? header : undefined, proxies);
}
