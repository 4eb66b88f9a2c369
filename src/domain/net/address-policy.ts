import ipaddr from 'ipaddr.js';

/**
 * Where Switchboard may open a connection on a partner's behalf (status
 * webhooks): public unicast addresses only. Everything else — this machine,
 * private and carrier-grade NAT networks, link-local (cloud metadata at
 * 169.254.169.254), unique-local, multicast, reserved, and the IPv6 forms that
 * carry an IPv4 address inside (mapped, compatible, NAT64, 6to4, Teredo) — is
 * refused, so a partner cannot make the center reach into its own network.
 *
 * Addresses are parsed by ipaddr.js, which reads every form the resolver
 * accepts (2130706433, 0177.0.0.1, 0x7f000001, 127.1, [::ffff:7f00:1]); names
 * are checked for the ones that never lead to a public host. A name that passes
 * must still be resolved, and every address it resolves to checked, at connect
 * time (services/webhook-transport.ts), so DNS cannot change the answer between
 * the check and the connection.
 */

export type AddressPolicy = {
  /** Development on this machine: loopback (and the name localhost) may be reached. Never private networks. */
  allowLoopback: boolean;
};

export type Verdict = { allowed: true } | { allowed: false; reason: string };

const REASONS: Record<string, string> = {
  loopback: 'this server (a loopback address)',
  unspecified: 'an unspecified address',
  broadcast: 'a broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address (cloud metadata lives there)',
  carrierGradeNat: 'a private network address (carrier-grade NAT, 100.64.0.0/10)',
  private: 'a private network address',
  uniqueLocal: 'a private network address (IPv6 unique local)',
  deprecatedSiteLocal: 'a private network address (IPv6 site local)',
  reserved: 'a reserved address',
  benchmarking: 'a reserved address (benchmarking)',
  as112: 'a reserved address (AS112)',
  amt: 'a reserved address (AMT)',
  ipv4Mapped: 'an IPv4-mapped IPv6 address',
  rfc6145: 'an IPv4-translated IPv6 address',
  rfc6052: 'a NAT64 address',
  '6to4': 'a 6to4 address',
  teredo: 'a Teredo address',
  ipv4Compatible: 'an IPv4-compatible IPv6 address',
};

const refuse = (range: string): Verdict => ({ allowed: false, reason: REASONS[range] ?? `a special-purpose address (${range})` });

/** 2000::/3: the only IPv6 block IANA hands out as global unicast. */
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');
/** The well-known NAT64 prefix (RFC 6052): DNS64 answers a public IPv4 host with 64:ff9b::<its address>. */
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');
const IPV4_COMPATIBLE = ipaddr.IPv6.parseCIDR('::/96');

function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 {
  const bytes = address.toByteArray();
  return new ipaddr.IPv4(bytes.slice(12, 16));
}

function checkIPv4(address: ipaddr.IPv4, policy: AddressPolicy): Verdict {
  const range = address.range();
  if (range === 'unicast') return { allowed: true };
  if (range === 'loopback' && policy.allowLoopback) return { allowed: true };
  return refuse(range);
}

function checkIPv6(address: ipaddr.IPv6, policy: AddressPolicy): Verdict {
  if (address.zoneId !== undefined) return refuse('linkLocal');
  const range = address.range();
  // The same host as the IPv4 address inside it: judged as that address.
  if (range === 'ipv4Mapped' || (range === 'rfc6052' && address.match(NAT64_WELL_KNOWN))) {
    const inner = checkIPv4(embeddedIPv4(address), policy);
    if (inner.allowed) return inner;
    return { allowed: false, reason: `${inner.reason}, inside ${REASONS[range] ?? range}` };
  }
  if (range === 'loopback') return policy.allowLoopback ? { allowed: true } : refuse('loopback');
  if (range === 'unicast') {
    if (address.match(GLOBAL_UNICAST_V6)) return { allowed: true };
    // ::a.b.c.d (deprecated IPv4-compatible) and the rest outside 2000::/3: not handed out as public addresses.
    return refuse(address.match(IPV4_COMPATIBLE) ? 'ipv4Compatible' : 'reserved');
  }
  return refuse(range);
}

/** Whether an IP address (as a resolver returns it, or written in a URL) may be connected to. Not an address: refused. */
export function checkAddress(address: string, policy: AddressPolicy): Verdict {
  const text = stripBrackets(address.trim());
  if (ipaddr.IPv4.isValid(text)) return checkIPv4(ipaddr.IPv4.parse(text), policy);
  if (ipaddr.IPv6.isValid(text)) return checkIPv6(ipaddr.IPv6.parse(canonicalIPv6(text)), policy);
  return { allowed: false, reason: 'not an IP address' };
}

/**
 * The IPv6 address as the URL parser (and so the HTTP client) reads it. ipaddr.js reads "::127.0.0.1" as
 * ::ffff:127.0.0.1 (mapped) where the standard reads ::7f00:1 (compatible): the address checked must be the one
 * connected to. A zone id (fe80::1%eth0) is left to ipaddr.js, whose answer for it is link-local.
 */
function canonicalIPv6(text: string): string {
  try {
    return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return text;
  }
}

const stripBrackets = (host: string): string => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);

/** A host as written in a URL, compared in one form: lower case, no brackets, no trailing dots ("localhost." is localhost). */
export function normalizeHost(host: string): string {
  return stripBrackets(host.trim().toLowerCase()).replace(/\.+$/, '');
}

/** Top-level names that never lead to a public host: special-use (RFC 6761, 6762, 8375), ICANN's private-use .internal, common internal ones. */
const INTERNAL_SUFFIXES = ['localhost', 'local', 'internal', 'localdomain', 'arpa', 'lan', 'home', 'corp', 'intranet', 'svc'];

/** Cloud metadata services that answer under public-looking names. */
const METADATA_NAMES = new Set(['metadata.goog', 'metadata.google.internal', 'metadata.tencentyun.com', 'instance-data.ec2.internal']);

export type HostVerdict = Verdict & {
  /** The host is an IP address: there is nothing to resolve (and the connection will not consult a resolver). */
  literal: boolean;
};

/**
 * Whether a URL's host may be reached. An IP literal is judged here, in every
 * form a resolver would read it; a name is judged on what it is, and when it
 * passes, the addresses it resolves to must each pass `checkAddress` too.
 */
export function checkHost(host: string, policy: AddressPolicy): HostVerdict {
  const name = normalizeHost(host);
  if (name === '') return { allowed: false, reason: 'an empty host name', literal: false };
  if (ipaddr.IPv4.isValid(name) || ipaddr.IPv6.isValid(name)) return { ...checkAddress(name, policy), literal: true };
  if (name === 'localhost' || name.endsWith('.localhost')) {
    return policy.allowLoopback ? { allowed: true, literal: false } : { allowed: false, reason: 'this server (localhost)', literal: false };
  }
  if (METADATA_NAMES.has(name)) return { allowed: false, reason: 'a cloud metadata service', literal: false };
  if (!name.includes('.')) {
    // Resolved through the machine's search domains, that is, inside its own network.
    return { allowed: false, reason: 'a single-label (internal) host name', literal: false };
  }
  const top = name.slice(name.lastIndexOf('.') + 1);
  if (INTERNAL_SUFFIXES.includes(top)) return { allowed: false, reason: `an internal host name (.${top})`, literal: false };
  return { allowed: true, literal: false };
}

/** This machine (localhost, 127.0.0.0/8, ::1, and their mapped forms): what development alone may reach. */
export function isLoopbackHost(host: string): boolean {
  return checkHost(host, { allowLoopback: true }).allowed && !checkHost(host, { allowLoopback: false }).allowed;
}
