import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { isTimeZone } from '../domain/calendar/calendar-day.js';
import { type CallbackPolicy, compileDialPattern, parseCallingHours, parseRetryMinutes } from '../domain/callbacks/callback-policy.js';
import { errnoCode } from '../domain/errors/app-error.js';
import { parseAssurance, parseRoleMap, type SsoMapping } from '../domain/identity/sso-policy.js';

/**
 * The one configuration schema. It is parsed once at start-up from the
 * environment (and an optional JSON file named by SWITCHBOARD_CONFIG_FILE);
 * nothing else in the code reads process.env.
 */

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const port = z.coerce
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(1, 'must be between 1 and 65535')
  .max(65535, 'must be between 1 and 65535');

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}(\/(3[0-2]|[12]?\d))?$/;

const postgresUrl = z
  .string()
  .refine((value) => /^postgres(ql)?:\/\//.test(value), 'must be a postgres:// or postgresql:// URL')
  .refine((value) => URL.canParse(value), 'is not a valid URL');

/** Keys whose values must never be printed (logs, errors, `config show`). */
export const SECRET_KEYS = [
  'DATABASE_URL',
  'DATABASE_MIGRATION_URL',
  'SWITCHBOARD_SECRET_KEY',
  'TWILIO_AUTH_TOKEN',
  'OIDC_CLIENT_SECRET',
] as const;

export const ConfigSchema = z
  .object({
    HOST: z.string().min(1, 'must not be empty').default('127.0.0.1'),
    PORT: port.default(8080),
    /** External PostgreSQL 15 server; unset → Switchboard runs its own embedded server. Secret: may hold a password. */
    DATABASE_URL: postgresUrl.optional(),
    /**
     * With DATABASE_URL: the role that owns the schema and runs migrations (secret). When set, the DATABASE_URL role is
     * granted row access only — it cannot alter the schema or touch audit events. Unset: DATABASE_URL's role does both.
     */
    DATABASE_MIGRATION_URL: postgresUrl.optional(),
    DATABASE_POOL_SIZE: z.coerce.number({ error: 'must be a number' }).int().min(1).max(200).default(10),
    /**
     * The server ends a session of this process idle inside a transaction this long (0: never), so a node that
     * stops mid-transaction (SIGSTOP, a pause, a partition) frees its locks for the other nodes.
     */
    DATABASE_IDLE_IN_TRANSACTION_MS: z.coerce.number({ error: 'must be a number' }).int().min(0).max(600_000).default(5000),
    SWITCHBOARD_DATA_DIR: z.string().min(1, 'must not be empty').default('./data'),
    LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
    /** The center's time zone: intervals, shifts and reports. Timestamps are stored in UTC. */
    CENTER_TIME_ZONE: z.string().refine(isTimeZone, 'must be an IANA time zone such as America/Chicago').default('America/Chicago'),
    /** Seed demo data on the first start of an empty database (the README run command). */
    SWITCHBOARD_DEMO_ON_FIRST_START: z
      .enum(['true', 'false'], { error: 'must be true or false' })
      .default('true')
      .transform((value) => value === 'true'),
    /**
     * Master key (base64 or hex, ≥ 32 bytes) from which the keys that encrypt TOTP seeds, sign partner tokens and sign audit heads are
     * derived. Secret. Unset → generated once into SWITCHBOARD_DATA_DIR/secret.key; every node of a cluster needs the same.
     */
    SWITCHBOARD_SECRET_KEY: z
      .string()
      .refine((value) => decodeKey(value) !== undefined, 'must be at least 32 bytes, base64 or hex encoded')
      .optional(),
    /**
     * HTTPS in Switchboard itself: PEM files of the certificate (chain) and its private key. Set both, or neither (plain
     * HTTP: loopback development, or TLS ended by a reverse proxy in front, deploy/https/). With them, PUBLIC_URL
     * defaults to https://HOST:PORT, cookies are Secure and responses carry HSTS.
     */
    HTTPS_CERT_FILE: z.string().min(1, 'must not be empty').optional(),
    HTTPS_KEY_FILE: z.string().min(1, 'must not be empty').optional(),
    /** With HTTPS: a plain-HTTP port that only redirects to PUBLIC_URL (e.g. 80 in front of 443); unset: none. */
    HTTP_REDIRECT_PORT: port.optional(),
    /** The address staff use to reach Switchboard, for enrollment links. */
    PUBLIC_URL: z.url({ error: 'must be a URL such as https://switchboard.example.gov' }).optional(),
    /**
     * The enrollment outbox: where links for accounts added or reset through the API are written, one file each, for
     * the site's delivery agent to carry to the person (never back to the admin). Unset → SWITCHBOARD_DATA_DIR/enrollment-outbox.
     */
    ENROLLMENT_OUTBOX_DIR: z.string().min(1, 'must not be empty').optional(),
    /** Where the scheduled daily reports are written, one CSV per report and day. Unset → SWITCHBOARD_DATA_DIR/reports. */
    REPORT_DROP_DIR: z.string().min(1, 'must not be empty').optional(),
    /**
     * This node's name in a cluster of Switchboard nodes on one database (the routing lease names its holder).
     * Unset → host name and process id, new at each start.
     */
    SWITCHBOARD_NODE_ID: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'must be 1–100 letters, digits, dots, colons, dashes or underscores')
      .optional(),
    /** How long the routing leader's lease lasts unless renewed (renewed every third of it): the longest a dead leader's timers wait. */
    ROUTING_LEASE_MS: z.coerce.number({ error: 'must be a number' }).int().min(300).max(60_000).default(3000),
    /** How often the audit sealer moves appended events into the hash chain (the merge delay's usual size). */
    AUDIT_SEAL_INTERVAL_MS: z.coerce.number({ error: 'must be a number' }).int().min(20).max(10_000).default(200),
    /** The longest an event may wait unsealed: `audit verify` fails when one in the inbox is older. */
    AUDIT_MAX_MERGE_DELAY_MS: z.coerce.number({ error: 'must be a number' }).int().min(1000).max(3_600_000).default(10_000),
    /** How often the sealer publishes the latest signed head (a log line `audit_head`, and AUDIT_HEAD_FILE when set). */
    AUDIT_HEAD_PUBLISH_MS: z.coerce.number({ error: 'must be a number' }).int().min(1000).max(86_400_000).default(60_000),
    /** A file the published heads are appended to (one JSON line each), for `audit verify --heads` — keep it off the database's machine. */
    AUDIT_HEAD_FILE: z.string().min(1, 'must not be empty').optional(),
    SHUTDOWN_GRACE_MS: z.coerce.number({ error: 'must be a number' }).int().min(0).max(600_000).default(10_000),
    /** `start --telephony`: the SIP edge (Kamailio) callers and agents' phones use, on loopback. */
    SIP_EDGE_PORT: port.default(5060),
    /**
     * `start --telephony`: the address the SIP edge listens on (UDP, TCP and TLS): an IPv4 address of this machine.
     * Loopback by default; a public address lets carriers and phones elsewhere reach it (rtpengine's media follows).
     */
    SIP_EDGE_BIND: z
      .string()
      .regex(IPV4, 'must be an IPv4 address of this machine, e.g. 203.0.113.10')
      .refine((v) => v !== '0.0.0.0', 'must be one address of this machine, not 0.0.0.0 (the edge names it in Record-Route and SDP)')
      .default('127.0.0.1'),
    /** The public address the edge and rtpengine name in SIP headers and SDP when SIP_EDGE_BIND is behind NAT; unset: SIP_EDGE_BIND. */
    SIP_EDGE_ADVERTISE: z.string().regex(IPV4, 'must be an IPv4 address, e.g. 203.0.113.10').optional(),
    /** `start --telephony`: SIP over TLS on the edge, on with SIP_TLS_CERT_FILE and SIP_TLS_KEY_FILE. */
    SIP_EDGE_TLS_PORT: port.default(5061),
    /** The edge's TLS certificate (chain) and private key, PEM files; set both or neither (no SIP over TLS). */
    SIP_TLS_CERT_FILE: z.string().min(1, 'must not be empty').optional(),
    SIP_TLS_KEY_FILE: z.string().min(1, 'must not be empty').optional(),
    /**
     * The carrier access list: the addresses or networks (a.b.c.d or a.b.c.d/n, comma-separated) carriers' trunks send
     * calls from. A new call from anywhere else (call control aside) is refused 403 and counted
     * (switchboard_sip_edge_refused_calls_total).
     */
    SIP_CARRIER_ALLOW: z
      .string()
      .refine(
        (v) => v.split(',').every((e) => CIDR.test(e.trim())),
        'must be IPv4 addresses or networks such as 198.51.100.7,203.0.113.0/24',
      )
      .default('127.0.0.1/32'),
    /** `start --telephony`: this call-control node's SIP port, behind the edge. */
    SIP_NODE_PORT: port.default(5070),
    /** `start --telephony`: rtpengine's ng control port, and the RTP port range it may use. */
    RTPENGINE_NG_PORT: port.default(2223),
    RTP_PORT_MIN: port.default(30_000),
    RTP_PORT_MAX: port.default(30_999),
    /**
     * `start --telephony` on a cluster: the SIP edge and rtpengine are shared by every node and run by someone else
     * (`switchboard cluster up`, the deployment) at SIP_EDGE_PORT and RTPENGINE_NG_PORT; this node neither starts nor
     * stops them. false: this node starts its own (one process).
     */
    TELEPHONY_SHARED: z
      .enum(['true', 'false'], { error: 'must be true or false' })
      .default('false')
      .transform((value) => value === 'true'),
    /** The port this node hears rtpengine's key events on (its --dtmf-log-dest); 0: any, told to the rtpengine it starts. */
    RTPENGINE_DTMF_PORT: z.coerce.number({ error: 'must be a number' }).int().min(0).max(65_535).default(0),
    /**
     * rtpengine's TCP ng port (--listen-tcp-ng with --dtmf-log-ng-tcp): every node connected there hears every key, so a
     * node that adopts a call hears its caller. Set it when nodes share an rtpengine; 0: keys by UDP to one node only.
     */
    RTPENGINE_TCP_NG_PORT: z.coerce.number({ error: 'must be a number' }).int().min(0).max(65_535).default(0),
    /** The digest realm agents' phones authenticate in at the SIP edge (their credentials are issued for it). */
    SIP_AUTH_REALM: z
      .string()
      .regex(/^[A-Za-z0-9.-]{1,64}$/, 'must be letters, digits, dots and dashes')
      .default('switchboard'),
    /**
     * A shared SIP edge's control socket (Kamailio's ctl, a path): a node with TELEPHONY_SHARED keeps the edge's phone
     * credentials up to date through it. Unset on a shared node: phones cannot register at that edge.
     */
    SIP_EDGE_CTL: z.string().min(1, 'must not be empty').optional(),
    /** `start --telephony`: the SIP edge's WebSocket port (loopback) for the agent desktop's softphone; 0: no softphone. */
    SOFTPHONE_WS_PORT: z.coerce.number({ error: 'must be a number' }).int().min(0).max(65_535).default(5066),
    /** Where browsers reach that WebSocket (a reverse proxy's wss:// address); unset: ws://127.0.0.1:SOFTPHONE_WS_PORT. */
    SOFTPHONE_WS_URL: z
      .string()
      .regex(/^wss?:\/\/\S+$/, 'must be a ws:// or wss:// URL')
      .optional(),
    /** Outbound calls (callbacks): the carrier trunk the SIP edge sends them to (host:port); unset: the edge refuses them. */
    SIP_CARRIER: z
      .string()
      .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:5080')
      .optional(),
    /** The center's number presented on outbound calls (E.164). Unset: callbacks are not dialed by Switchboard. */
    OUTBOUND_CALLER_ID: z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +16155550100')
      .optional(),
    /** Numbers outbound calls may go to: dial patterns (X any digit, N 2-9, Z 1-9, [ranges], a final "." for more digits), comma-separated. */
    OUTBOUND_ALLOW: z
      .string()
      .refine((v) => tryPatterns(v) !== null, 'must be dial patterns such as +1NXXNXXXXXX, comma-separated')
      .default('+1NXXNXXXXXX'),
    /** The interpreter service's number (a language line), called through the carrier trunk for callers who chose another language. */
    INTERPRETER_NUMBER: z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +18005550111')
      .optional(),
    /** Tries at a callback's number (the first included) before it goes to a supervisor's list. */
    CALLBACK_MAX_ATTEMPTS: z.coerce.number({ error: 'must be a number' }).int().min(1).max(10).default(3),
    /** Minutes between tries after the 1st, 2nd, … (the last repeats). */
    CALLBACK_RETRY_MINUTES: z
      .string()
      .refine((v) => tryParse(() => parseRetryMinutes(v)), 'must be minutes such as 15,60,240 (each 1 to 10080)')
      .default('15,60,240'),
    /** When callbacks may ring, in the caller's time zone when known (else the center's): HH:MM-HH:MM. */
    CALLBACK_HOURS: z
      .string()
      .refine((v) => tryParse(() => parseCallingHours(v)), 'must be calling hours such as 08:00-20:00')
      .default('08:00-20:00'),
    /** How long a callback's number may ring before the try counts as no answer. */
    CALLBACK_RING_SECONDS: z.coerce.number({ error: 'must be a number' }).int().min(5).max(120).default(30),
    /** The cloud-voice adapter (Twilio): the account's auth token (secret), which signs its webhooks. Unset: the adapter refuses every webhook. */
    TWILIO_AUTH_TOKEN: z.string().min(16, 'must be the account auth token').optional(),
    /** The public base URL Twilio calls the webhooks at (signatures cover the full URL), e.g. https://switchboard.example.gov. */
    TWILIO_WEBHOOK_BASE_URL: z.url({ error: 'must be a URL' }).optional(),
    /** Twilio's REST API, to move a queued call to the agent the ACD chose: the account SID and, for tests, the API's address. */
    TWILIO_ACCOUNT_SID: z
      .string()
      .regex(/^AC[0-9a-f]{32}$/, 'must be an account SID (AC + 32 hex digits)')
      .optional(),
    TWILIO_API_BASE_URL: z.url({ error: 'must be a URL' }).default('https://api.twilio.com'),
    /** Where agents' SIP phones answer calls Twilio dials (a Twilio SIP domain, or the center's public SIP edge). */
    TWILIO_AGENT_SIP_DOMAIN: z
      .string()
      .regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'must be a host name, e.g. switchboard.sip.twilio.com')
      .optional(),
    /** Single sign-on (OpenID Connect): the agency identity provider's issuer URL. Unset: staff sign in with password and TOTP. */
    OIDC_ISSUER: z.url({ error: "must be the identity provider's issuer URL, e.g. https://idp.example.gov" }).optional(),
    /** The client id Switchboard is registered under at the identity provider. */
    OIDC_CLIENT_ID: z.string().min(1, 'must not be empty').optional(),
    /** The client secret (secret); unset: a public client (PKCE only). */
    OIDC_CLIENT_SECRET: z.string().min(1, 'must not be empty').optional(),
    /** Where the provider sends people back; unset → PUBLIC_URL + /api/v1/auth/oidc/callback. */
    OIDC_REDIRECT_URI: z.url({ error: 'must be a URL' }).optional(),
    OIDC_SCOPES: z
      .string()
      .regex(/(^| )openid( |$)/, 'must include openid')
      .default('openid profile email'),
    /** What the sign-in button says: "Sign in with <name>". */
    OIDC_PROVIDER_NAME: z.string().min(1).max(60).default('your agency account'),
    /** The claim that holds the person's groups or roles, mapped to Switchboard roles by OIDC_ROLE_MAP. */
    OIDC_ROLE_CLAIM: z.string().min(1).default('groups'),
    /** group=role pairs, comma-separated (e.g. sb-call-takers=call_taker,sb-supervisors=supervisor); nothing else grants a role. */
    OIDC_ROLE_MAP: z
      .string()
      .refine((v) => tryParse(() => parseRoleMap(v)), 'must be group=role pairs, comma-separated, naming Switchboard roles')
      .optional(),
    OIDC_FIELD_OFFICE_CLAIM: z.string().min(1).default('field_office'),
    OIDC_AGENCY_CLAIM: z.string().min(1).default('agency_ori'),
    OIDC_UNIT_CLAIM: z.string().min(1).default('unit'),
    OIDC_USERNAME_CLAIM: z.string().min(1).default('preferred_username'),
    OIDC_DISPLAY_NAME_CLAIM: z.string().min(1).default('name'),
    /**
     * The assurance each role needs: role=acr|acr pairs, comma-separated, * for every other role, e.g.
     * *=http://idmanagement.gov/ns/assurance/aal/3|phr. A sign-in whose ID token has another acr is refused.
     */
    OIDC_ACR_REQUIRED: z
      .string()
      .refine((v) => tryParse(() => parseAssurance(v)), 'must be role=acr|acr pairs, comma-separated (* for every other role)')
      .optional(),
    /** acr_values asked for in the authorization request (space-separated), e.g. Login.gov's http://idmanagement.gov/ns/assurance/aal/3. */
    OIDC_ACR_VALUES: z.string().min(1).optional(),
  })
  .strict()
  .refine((c) => !c.OIDC_ISSUER || (c.OIDC_CLIENT_ID && c.OIDC_ROLE_MAP), {
    path: ['OIDC_ISSUER'],
    message: 'needs OIDC_CLIENT_ID and OIDC_ROLE_MAP as well',
  })
  .refine((c) => c.RTP_PORT_MAX - c.RTP_PORT_MIN >= 99, {
    path: ['RTP_PORT_MAX'],
    message: 'must leave at least 100 ports above RTP_PORT_MIN',
  })
  .refine((c) => !c.HTTPS_CERT_FILE === !c.HTTPS_KEY_FILE, {
    path: ['HTTPS_KEY_FILE'],
    message: 'and HTTPS_CERT_FILE must be set together (the certificate and its private key)',
  })
  .refine((c) => !c.HTTP_REDIRECT_PORT || Boolean(c.HTTPS_CERT_FILE) || Boolean(c.PUBLIC_URL?.startsWith('https://')), {
    path: ['HTTP_REDIRECT_PORT'],
    message: 'redirects to HTTPS: set HTTPS_CERT_FILE and HTTPS_KEY_FILE, or an https PUBLIC_URL (a proxy in front)',
  })
  .refine((c) => c.HTTP_REDIRECT_PORT !== c.PORT, { path: ['HTTP_REDIRECT_PORT'], message: 'must differ from PORT' })
  .refine((c) => !c.SIP_TLS_CERT_FILE === !c.SIP_TLS_KEY_FILE, {
    path: ['SIP_TLS_KEY_FILE'],
    message: 'and SIP_TLS_CERT_FILE must be set together (the certificate and its private key)',
  })
  .refine((c) => c.SIP_EDGE_TLS_PORT !== c.SIP_EDGE_PORT, { path: ['SIP_EDGE_TLS_PORT'], message: 'must differ from SIP_EDGE_PORT' });

function tryParse(parse: () => unknown): boolean {
  try {
    parse();
    return true;
  } catch {
    return false;
  }
}

/** The compiled OUTBOUND_ALLOW patterns, or null when one is not a dial pattern. */
export function tryPatterns(text: string): RegExp[] | null {
  try {
    return text.split(',').map((p) => compileDialPattern(p));
  } catch {
    return null;
  }
}

/** A key given as hex or base64(url); undefined when it decodes to fewer than 32 bytes. */
export function decodeKey(value: string): Buffer | undefined {
  const bytes = /^[0-9a-fA-F]+$/.test(value) && value.length % 2 === 0 ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  return bytes.length >= 32 ? bytes : undefined;
}

export type Config = z.output<typeof ConfigSchema> & {
  /** Absolute path of SWITCHBOARD_DATA_DIR. */
  dataDir: string;
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const KNOWN_KEYS = new Set(Object.keys(ConfigSchema.shape));

/**
 * Builds the configuration from an environment map (process.env at start-up)
 * and an optional JSON file. Environment variables win over the file.
 * Throws ConfigError with one line naming the key and the problem.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, cwd: string): Config {
  const fromFile = readConfigFile(env.SWITCHBOARD_CONFIG_FILE, cwd);
  const input: Record<string, unknown> = { ...fromFile };
  for (const key of KNOWN_KEYS) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.path.join('.') || (issue?.code === 'unrecognized_keys' ? issue.keys.join(', ') : 'config');
    const shown = typeof input[key] === 'string' && !isSecret(key) ? ` (got "${String(input[key])}")` : '';
    throw new ConfigError(`invalid configuration: ${key} ${issue?.message ?? 'is invalid'}${shown}`);
  }
  return { ...parsed.data, dataDir: path.resolve(cwd, parsed.data.SWITCHBOARD_DATA_DIR) };
}

function readConfigFile(file: string | undefined, cwd: string): Record<string, unknown> {
  if (!file) return {};
  let text: string;
  try {
    text = readFileSync(path.resolve(cwd, file), 'utf8');
  } catch (error) {
    throw new ConfigError(`invalid configuration: SWITCHBOARD_CONFIG_FILE cannot be read (${errnoCode(error) ?? 'error'})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigError('invalid configuration: SWITCHBOARD_CONFIG_FILE is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError('invalid configuration: SWITCHBOARD_CONFIG_FILE must hold a JSON object');
  }
  const entries = Object.entries(value).map(([key, v]) => [key, typeof v === 'string' ? v : String(v)] as const);
  return Object.fromEntries(entries);
}

export function isSecret(key: string): boolean {
  return (SECRET_KEYS as readonly string[]).includes(key);
}

/** The configuration as it may be shown to an operator: secrets redacted. */
export function describeConfig(config: Config): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key === 'dataDir') continue;
    shown[key] = isSecret(key) && value !== undefined ? '[secret]' : value;
  }
  return shown;
}

/** The callback policy the settings describe (CALLBACK_*). */
export function callbackPolicy(c: Pick<Config, 'CALLBACK_MAX_ATTEMPTS' | 'CALLBACK_RETRY_MINUTES' | 'CALLBACK_HOURS'>): CallbackPolicy {
  return {
    maxAttempts: c.CALLBACK_MAX_ATTEMPTS,
    retryMinutes: parseRetryMinutes(c.CALLBACK_RETRY_MINUTES),
    hours: parseCallingHours(c.CALLBACK_HOURS),
  };
}

/** SIP over TLS on the edge, when its certificate is configured; null: UDP and TCP only. */
export function edgeTls(c: Pick<Config, 'SIP_EDGE_TLS_PORT' | 'SIP_TLS_CERT_FILE' | 'SIP_TLS_KEY_FILE'>) {
  return c.SIP_TLS_CERT_FILE && c.SIP_TLS_KEY_FILE
    ? { port: c.SIP_EDGE_TLS_PORT, certificate: c.SIP_TLS_CERT_FILE, privateKey: c.SIP_TLS_KEY_FILE }
    : null;
}

/** The carrier access list as entries (SIP_CARRIER_ALLOW). */
export const carrierAllow = (c: Pick<Config, 'SIP_CARRIER_ALLOW'>): string[] => c.SIP_CARRIER_ALLOW.split(',').map((e) => e.trim());

/** Outbound calling (callbacks dialed), when a caller ID is configured; null: Switchboard places no calls. */
export function outboundConfig(
  c: Pick<Config, 'OUTBOUND_CALLER_ID' | 'OUTBOUND_ALLOW' | 'CALLBACK_RING_SECONDS' | 'SIP_CARRIER'>,
): { callerId: string; allow: RegExp[]; ringSeconds: number; carrier: { host: string; port: number } | null } | null {
  if (!c.OUTBOUND_CALLER_ID) return null;
  const [host, port] = c.SIP_CARRIER ? (c.SIP_CARRIER.split(':') as [string, string]) : [];
  return {
    callerId: c.OUTBOUND_CALLER_ID,
    allow: tryPatterns(c.OUTBOUND_ALLOW) ?? [],
    ringSeconds: c.CALLBACK_RING_SECONDS,
    carrier: host && port ? { host, port: Number(port) } : null,
  };
}

/** Single sign-on as configured: the provider, the client, and the claim mapping; null when OIDC_ISSUER is unset. */
export type SsoSettings = {
  issuer: string;
  clientId: string;
  clientSecret: string | null;
  redirectUri: string;
  scopes: string;
  providerName: string;
  acrValues: string | null;
  mapping: SsoMapping;
};

export function ssoSettings(c: Config, publicUrl: string): SsoSettings | null {
  if (!c.OIDC_ISSUER || !c.OIDC_CLIENT_ID || !c.OIDC_ROLE_MAP) return null;
  return {
    issuer: c.OIDC_ISSUER,
    clientId: c.OIDC_CLIENT_ID,
    clientSecret: c.OIDC_CLIENT_SECRET ?? null,
    redirectUri: c.OIDC_REDIRECT_URI ?? `${publicUrl}/api/v1/auth/oidc/callback`,
    scopes: c.OIDC_SCOPES,
    providerName: c.OIDC_PROVIDER_NAME,
    acrValues: c.OIDC_ACR_VALUES ?? null,
    mapping: {
      roleClaim: c.OIDC_ROLE_CLAIM,
      roles: parseRoleMap(c.OIDC_ROLE_MAP),
      fieldOfficeClaim: c.OIDC_FIELD_OFFICE_CLAIM,
      agencyClaim: c.OIDC_AGENCY_CLAIM,
      unitClaim: c.OIDC_UNIT_CLAIM,
      usernameClaim: c.OIDC_USERNAME_CLAIM,
      displayNameClaim: c.OIDC_DISPLAY_NAME_CLAIM,
      assurance: parseAssurance(c.OIDC_ACR_REQUIRED ?? ''),
    },
  };
}
