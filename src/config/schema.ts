import { z } from 'zod';
import { ROLES } from '../access/caller';
import { hostRefusal } from '../sources/address-policy';
import { parseRange, rangeName } from '../sources/spreadsheet/a1';
import { MAX_SHEET_COLUMNS, MAX_SHEET_ROWS, MAX_TABLE_CELLS } from '../sources/spreadsheet/limits';

/** Source kinds: how a payload is fetched and parsed. One adapter folder per kind under `src/sources/`. */
export const SOURCE_KINDS = ['csv', 'json', 'graphql', 'spreadsheet'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/**
 * Payload shapes: what one row means.
 * - `counts`: one row per force and date, with the headline count and other measures.
 * - `breakdowns`: one row per breakdown cell.
 * - `records`: one row per anonymised individual record, reduced to counts at the boundary.
 * - `totals`: national totals an investigation published (shown beside our sum, never in it).
 */
export const SOURCE_SHAPES = ['counts', 'breakdowns', 'records', 'totals'] as const;
export type SourceShape = (typeof SOURCE_SHAPES)[number];

/** Fields a mapping may name, per shape. */
export const SHAPE_FIELDS: Record<SourceShape, readonly string[]> = {
  counts: [
    'forceId',
    'asAt',
    'precision',
    'basis',
    'unaccounted',
    'unaccountedStatus',
    'registered',
    'breachesCautionedOrConvicted',
    'returnedToCustody',
    // Provenance: rows naming the same survey that state the same figure are one figure (see Corroborations).
    'survey',
    'title',
    'url',
    'quote',
    'notes',
  ],
  breakdowns: [
    'forceId',
    'asAt',
    'precision',
    'dimension',
    'category',
    'value',
    'status',
    'complete',
    'title',
    'url',
  ],
  records: ['forceId', 'asAt', 'precision', 'basis', 'yearWentMissing', 'offenceCategory', 'mappaLevel'],
  totals: [
    'scope',
    'asAt',
    'precision',
    'measure',
    'value',
    'forcesResponded',
    'forcesAsked',
    'notes',
    'survey',
    'title',
    'url',
    'quote',
  ],
};

/** Fields each shape needs, from the mapping or from constants. */
export const SHAPE_REQUIRED: Record<SourceShape, readonly string[]> = {
  counts: ['forceId', 'asAt'],
  breakdowns: ['forceId', 'asAt', 'dimension', 'category'],
  records: ['forceId'],
  totals: ['scope', 'measure', 'value'],
};

const ms = (def: number, what: string) =>
  z.number().int().positive(`${what} must be a positive whole number of milliseconds`).default(def);

/** Defaults shared by every source; each is documented in the README's configuration table. */
export const SOURCE_DEFAULTS = {
  /** @default 5000 */
  timeoutMs: 5000,
  /** @default 3 attempts in all (first try + 2 retries) */
  retryMaxAttempts: 3,
  /** @default 100 */
  retryInitialDelayMs: 100,
  /** @default 2000 */
  retryMaxDelayMs: 2000,
  /** @default 5 consecutive failures open the breaker */
  breakerConsecutiveFailures: 5,
  /** @default 30000 */
  breakerHalfOpenAfterMs: 30_000,
  /** @default 300 */
  ttlSeconds: 300,
  /** @default 3600 */
  staleForSeconds: 3600,
  /** @default 0 */
  priority: 0,
  /** @default false: only public addresses (and loopback written as such) are fetched from. */
  allowPrivateAddresses: false,
  /**
   * @default true: the source is refreshed when its TTL runs out whether or not anyone asks (one instance
   * of a fleet fetches it), so figures stay fresh and live updates flow to an idle dashboard.
   */
  refreshWithoutTraffic: true,
} as const;

/** Workbook formats the `spreadsheet` kind reads (which one a file is, its bytes say). */
export const WORKBOOK_FORMATS = ['xlsx', 'ods'] as const;
export type WorkbookFormat = (typeof WORKBOOK_FORMATS)[number];

/** How a `spreadsheet` table holds its records. */
export const SHEET_RECORDS = ['rows', 'columns'] as const;

/** A month and day that every year has (MM-DD; not 02-29). */
function isYearDay(text: string): boolean {
  const [month, day] = text.split('-').map(Number) as [number, number];
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(2001, month, 0)).getUTCDate();
}

/**
 * Options of kind `spreadsheet`: which table of the workbook to read and how its records lie. Read by
 * `src/sources/spreadsheet/table.ts`; every field is documented in the README (Configuring sources).
 */
export const spreadsheetOptionsSchema = z
  .object({
    /** `xlsx` or `ods`: when given, a workbook of the other format is refused. @default either */
    format: z.enum(WORKBOOK_FORMATS, { error: `must be one of: ${WORKBOOK_FORMATS.join(', ')}` }).optional(),
    /** The sheet's name (case-insensitive if only case differs). @default the first sheet */
    sheet: z.string().min(1).max(255).optional(),
    /** The table, header included, A1-style (`A4:C13`). @default the sheet's used cells */
    range: z
      .string()
      .transform((text, ctx) => {
        const range = parseRange(text);
        if (!range) {
          ctx.addIssue({ code: 'custom', message: 'must be an A1-style range such as B5:F12' });
          return z.NEVER;
        }
        const rows = range.end.row - range.start.row + 1;
        const columns = range.end.column - range.start.column + 1;
        const problem =
          range.end.row >= MAX_SHEET_ROWS
            ? `must end within the first ${MAX_SHEET_ROWS} rows of the sheet (only those are read)`
            : columns > MAX_SHEET_COLUMNS
              ? `must span at most ${MAX_SHEET_COLUMNS} columns`
              : rows * columns > MAX_TABLE_CELLS
                ? `must hold at most ${MAX_TABLE_CELLS} cells`
                : null;
        if (problem) {
          ctx.addIssue({ code: 'custom', message: problem });
          return z.NEVER;
        }
        return rangeName(range);
      })
      .optional(),
    /**
     * The header row: a row number of the sheet (1 is the first), or the text its first cell holds
     * (the first row of the table whose first cell reads so, ignoring case and spacing).
     * @default the first row of the table
     */
    headerRow: z
      .union([
        z
          .number()
          .int()
          .min(1, 'must be a row number from 1')
          .max(MAX_SHEET_ROWS, `must be at most ${MAX_SHEET_ROWS}`),
        z.string().trim().min(1).max(300),
      ])
      .optional(),
    /**
     * `rows`: each row below the header is a record, its fields named by the header row. `columns`: each
     * column right of the first is a record, its fields named by the first column's labels; the header
     * row's cell above it is the field named by the header row's first cell (a table of years side by side).
     * @default rows
     */
    records: z.enum(SHEET_RECORDS, { error: `must be one of: ${SHEET_RECORDS.join(', ')}` }).default('rows'),
    /**
     * MM-DD: a bare year (`2024`) in the field `asAt` is mapped from becomes that day of the year
     * (`2024-03-31` for `03-31`), for tables of years whose figures are all as at one day. Without it a
     * year is a figure of year precision.
     */
    yearDay: z
      .string()
      .regex(/^\d\d-\d\d$/, 'must be a month and day, MM-DD (such as 03-31)')
      .refine(isYearDay, 'must be a day that every year has (MM-DD; not 02-29)')
      .optional(),
  })
  .strict();

export type SpreadsheetOptions = z.output<typeof spreadsheetOptionsSchema>;

const headerValueSchema = z.union([
  z.string().describe('a literal header value (not for secrets)'),
  z.object({ env: z.string().min(1), prefix: z.string().default('') }).strict(),
]);

/** One configured source. */
export const sourceConfigSchema = z
  .object({
    id: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9-]{0,62}$/,
        'must be a lower-case slug (a-z, 0-9 and -), at most 63 characters',
      ),
    kind: z.enum(SOURCE_KINDS, { error: `must be one of: ${SOURCE_KINDS.join(', ')}` }),
    shape: z.enum(SOURCE_SHAPES, { error: `must be one of: ${SOURCE_SHAPES.join(', ')}` }).default('counts'),
    /** `bundled:<file>` (a file in src/data), a local path (relative to the config file) or an http(s) URL. */
    location: z.string().min(1),
    /**
     * Whether an http(s) location may be at a non-public address: private networks, link-local, cloud
     * metadata, carrier-grade NAT, loopback reached by a name or inside an IPv6 address, and so on.
     * Without it such an address is refused at start, and at connect time after DNS.
     * @default false
     */
    allowPrivateAddresses: z.boolean().default(SOURCE_DEFAULTS.allowPrivateAddresses),
    title: z.string().min(1),
    /** The public citation for the source, if any (shown as provenance). Never an internal endpoint. */
    url: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .nullable()
      .default(null),
    /** True for data from the simulator or any other made-up feed: it says so wherever it appears. */
    simulated: z.boolean().default(false),
    /** Forces this source may speak for; `*` for any force in the registry. */
    forces: z.union([z.literal('*'), z.array(z.string().min(1)).min(1)]).default('*'),
    priority: z.number().int().default(SOURCE_DEFAULTS.priority),
    timeoutMs: ms(SOURCE_DEFAULTS.timeoutMs, 'timeoutMs'),
    retry: z
      .object({
        maxAttempts: z.number().int().min(1).max(10).default(SOURCE_DEFAULTS.retryMaxAttempts),
        initialDelayMs: ms(SOURCE_DEFAULTS.retryInitialDelayMs, 'retry.initialDelayMs'),
        maxDelayMs: ms(SOURCE_DEFAULTS.retryMaxDelayMs, 'retry.maxDelayMs'),
      })
      .strict()
      .prefault({}),
    breaker: z
      .object({
        consecutiveFailures: z.number().int().min(1).default(SOURCE_DEFAULTS.breakerConsecutiveFailures),
        halfOpenAfterMs: ms(SOURCE_DEFAULTS.breakerHalfOpenAfterMs, 'breaker.halfOpenAfterMs'),
      })
      .strict()
      .prefault({}),
    ttlSeconds: z.number().positive().default(SOURCE_DEFAULTS.ttlSeconds),
    staleForSeconds: z.number().nonnegative().default(SOURCE_DEFAULTS.staleForSeconds),
    /**
     * Refresh the source when its TTL runs out, whether or not anyone asks (see `RefreshSchedule`);
     * false: fetch it only when a read finds its report stale (a source that must be fetched on demand).
     * Applies only while `upstream.refreshWithoutTraffic` is on.
     * @default true
     */
    refreshWithoutTraffic: z.boolean().default(SOURCE_DEFAULTS.refreshWithoutTraffic),
    headers: z.record(z.string(), headerValueSchema).default({}),
    /** json / graphql: dotted path to the array of rows (graphql defaults to the first field of `data`). */
    path: z.string().optional(),
    /** graphql: the query document sent to the endpoint. */
    query: z.string().optional(),
    variables: z.record(z.string(), z.unknown()).default({}),
    /** spreadsheet: which table of the workbook, and how its records lie. */
    spreadsheet: spreadsheetOptionsSchema.optional(),
    /** Our field -> the source's field (a column name, or a dotted path in a JSON object). */
    mapping: z.record(z.string(), z.string().min(1)).default({}),
    /** Our field -> a fixed value, for fields the source does not carry (e.g. a single-force feed's id). */
    constants: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
    /** Rows lacking any of these fields (ours) are skipped rather than rejected, e.g. national rows in a per-force file. */
    skipRowsMissing: z.array(z.string()).default([]),
  })
  .strict()
  .superRefine((source, ctx) => {
    const allowed = SHAPE_FIELDS[source.shape];
    for (const where of ['mapping', 'constants'] as const) {
      for (const field of Object.keys(source[where])) {
        if (!allowed.includes(field)) {
          ctx.addIssue({
            code: 'custom',
            path: [where, field],
            message: `is not a field of shape "${source.shape}"; accepted: ${allowed.join(', ')}`,
          });
        }
      }
    }
    source.skipRowsMissing.forEach((field, i) => {
      if (!allowed.includes(field)) {
        ctx.addIssue({
          code: 'custom',
          path: ['skipRowsMissing', i],
          message: `is not a field of shape "${source.shape}"`,
        });
      }
    });
    for (const field of SHAPE_REQUIRED[source.shape]) {
      if (!(field in source.mapping) && !(field in source.constants)) {
        ctx.addIssue({
          code: 'custom',
          path: ['mapping', field],
          message: `is required for shape "${source.shape}" (map it to a source field or give it in constants)`,
        });
      }
    }
    if (source.kind === 'graphql' && !source.query) {
      ctx.addIssue({ code: 'custom', path: ['query'], message: 'is required for kind "graphql"' });
    }
    if (source.spreadsheet !== undefined && source.kind !== 'spreadsheet') {
      ctx.addIssue({ code: 'custom', path: ['spreadsheet'], message: 'is only for kind "spreadsheet"' });
    }
    const sheet = source.spreadsheet;
    if (sheet?.range && typeof sheet.headerRow === 'number') {
      const range = parseRange(sheet.range)!;
      if (sheet.headerRow - 1 < range.start.row || sheet.headerRow - 1 > range.end.row) {
        ctx.addIssue({
          code: 'custom',
          path: ['spreadsheet', 'headerRow'],
          message: `must be a row of the range ${sheet.range} (${range.start.row + 1} to ${range.end.row + 1})`,
        });
      }
    }
    if (sheet?.yearDay !== undefined && !('asAt' in source.mapping)) {
      ctx.addIssue({
        code: 'custom',
        path: ['spreadsheet', 'yearDay'],
        message: 'applies to the field mapping.asAt names; map asAt to use it',
      });
    }
    if (source.kind === 'graphql' && !/^https?:\/\//.test(source.location)) {
      ctx.addIssue({
        code: 'custom',
        path: ['location'],
        message: 'must be an http(s) URL for kind "graphql"',
      });
    }
    if (/^https?:/.test(source.location) && !URL.canParse(source.location)) {
      ctx.addIssue({ code: 'custom', path: ['location'], message: 'is not a valid URL' });
    } else if (/^https?:/.test(source.location)) {
      // The WHATWG parser has already normalised decimal, octal and hex IPv4 forms (http://2852039166/).
      const host = new URL(source.location).hostname;
      const refusal = hostRefusal(host, {
        allowPrivate: source.allowPrivateAddresses,
        loopback: true, // written here by the operator, who means it
      });
      if (refusal) {
        ctx.addIssue({
          code: 'custom',
          path: ['location'],
          message: `source "${source.id}": host ${host} is not a public address (${refusal.kind}); accepted: a public address or host name, loopback written as such (127.0.0.1, [::1], localhost), or any address with allowPrivateAddresses: true`,
        });
      }
    } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source.location) && !/^https?:\/\//i.test(source.location)) {
      ctx.addIssue({
        code: 'custom',
        path: ['location'],
        message: 'has an unsupported scheme; accepted: an http(s) URL, a file path, or bundled:<name>',
      });
    }
    if (source.retry.maxDelayMs < source.retry.initialDelayMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['retry', 'maxDelayMs'],
        message: 'must be at least retry.initialDelayMs',
      });
    }
  });

/** A validated, defaulted source. */
export type SourceConfig = z.output<typeof sourceConfigSchema>;
export type SourceConfigInput = z.input<typeof sourceConfigSchema>;

/** Defaults for the national summary. */
export const NATIONAL_DEFAULTS = {
  /** @default 90: a force's figure counts if it is no more than this many days older than the date asked. */
  windowDays: 90,
  /** @default 400: registered-RSO counts come from yearly MAPPA reports, so their window is longer. */
  registeredWindowDays: 400,
} as const;

/** Defaults of upstream fetching; each is documented in the README's configuration table. */
export const UPSTREAM_DEFAULTS = {
  /**
   * @default 128: most upstream fetches (lock, fetch with its retries, store) one instance runs at once;
   * the rest queue in order. A source's time budget (`timeoutMs`) starts when its fetch leaves the queue.
   * Cold fan-out over N sources takes about max(slowest source, ceil(N / cap) x typical latency).
   */
  concurrency: 128,
  /**
   * @default true: sources are refreshed when their TTL runs out whether or not anyone asks (each source
   * as its own `refreshWithoutTraffic` says); false turns that off for every source: they are fetched
   * only when a read finds them stale, as in a deployment that wants no upstream traffic of its own.
   */
  refreshWithoutTraffic: true,
} as const;

/** How the gateway fetches from its sources, across all of them. */
export const upstreamConfigSchema = z
  .object({
    concurrency: z
      .number()
      .int()
      .min(1, 'must be at least 1')
      .max(10_000, 'must be at most 10000')
      .default(UPSTREAM_DEFAULTS.concurrency),
    refreshWithoutTraffic: z.boolean().default(UPSTREAM_DEFAULTS.refreshWithoutTraffic),
  })
  .strict()
  .prefault({});

export type UpstreamConfig = z.output<typeof upstreamConfigSchema>;

/** A rate limit: `points` requests per `durationSeconds`. */
const rateLimitSchema = (points: number, durationSeconds = 60) =>
  z
    .object({
      points: z.number().int().min(1).default(points),
      durationSeconds: z.number().int().min(1).max(86_400).default(durationSeconds),
    })
    .strict()
    .prefault({});

/** Defaults of access control; each is documented in the README's configuration table. */
export const ACCESS_DEFAULTS = {
  /** @default 3: breakdown cells from 1 to k-1 are suppressed for every role but analyst. */
  disclosureK: 3,
} as const;

/** Optional JWT authentication: tokens signed by a key in a JWKS, with a claim that names the role. */
const jwtConfigSchema = z
  .object({
    /** Where the signing keys are published (fetched and cached by jose). */
    jwksUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    issuer: z.string().min(1).optional(),
    audience: z.string().min(1).optional(),
    /** The claim holding the role. @default "role" */
    roleClaim: z.string().min(1).default('role'),
    /** Claim values to roles, when the identity provider names them differently (e.g. { newsroom: journalist }). */
    roleMap: z.record(z.string(), z.enum(ROLES)).default({}),
  })
  .strict();

export type JwtConfig = z.output<typeof jwtConfigSchema>;

/** Defaults of sign-in with OpenID Connect (`access.oidc`); each is documented in the README. */
export const OIDC_DEFAULTS = {
  /** @default ["openid"]: the ID token must carry the role claim with these scopes. */
  scopes: ['openid'] as readonly string[],
  /** @default 3600: a session unused this long is over (1 hour). */
  idleTimeoutSeconds: 3600,
  /** @default 43200: a session is over this long after sign-in, used or not (12 hours). */
  absoluteTimeoutSeconds: 43_200,
} as const;

/** The environment variable that holds the OpenID Connect client secret (never the config file). */
export const OIDC_CLIENT_SECRET_ENV = 'WHEREABOUTS_OIDC_CLIENT_SECRET';

/** Whether a URL's host is loopback (`localhost`, 127.0.0.0/8, ::1): plain http is allowed there only. */
export function isLoopbackUrl(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** An https URL, or http on a loopback host (a provider or gateway on this machine, in tests). */
const secureUrl = (what: string) =>
  z.url({ protocol: /^https?$/, error: `must be an https URL (${what})` }).refine((text) => {
    const url = new URL(text);
    return url.protocol === 'https:' || isLoopbackUrl(url);
  }, `must be an https URL (${what}); plain http is accepted only on a loopback host`);

/**
 * Sign-in for people in browsers with OpenID Connect (authorization code flow with PKCE): the ID token's
 * `roleClaim`, through `roleMap`, names the role. The client secret comes from the environment only
 * (`WHEREABOUTS_OIDC_CLIENT_SECRET`).
 */
const oidcConfigSchema = z
  .object({
    /** The provider's issuer identifier; its discovery document is `<issuer>/.well-known/openid-configuration`. */
    issuer: secureUrl('the issuer identifier'),
    clientId: z.string().min(1),
    /** This gateway's `/auth/callback` as registered with the provider; its origin is the gateway's. */
    redirectUri: secureUrl("this gateway's /auth/callback").refine(
      (text) => new URL(text).pathname === '/auth/callback',
      "must end in /auth/callback (this gateway's callback, as registered with the provider)",
    ),
    /** Scopes asked for; `openid` must be one. @default ["openid"] */
    scopes: z
      .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be a scope token'))
      .refine((s) => s.includes('openid'), 'must include openid')
      .default([...OIDC_DEFAULTS.scopes]),
    /** The ID token claim (a dotted path for a nested one) whose value, or one of whose values, names the role. */
    roleClaim: z.string().min(1),
    /**
     * Claim values to roles. Only values listed here give a role; when the claim holds several, the first
     * entry listed that it holds wins.
     */
    roleMap: z
      .record(z.string(), z.enum(ROLES, { error: `must be one of: ${ROLES.join(', ')}` }))
      .refine((map) => Object.keys(map).length > 0, 'must map at least one claim value to a role'),
    idleTimeoutSeconds: z.number().int().min(60).max(86_400).default(OIDC_DEFAULTS.idleTimeoutSeconds),
    absoluteTimeoutSeconds: z
      .number()
      .int()
      .min(300)
      .max(30 * 86_400)
      .default(OIDC_DEFAULTS.absoluteTimeoutSeconds),
  })
  .strict()
  .refine((c) => c.absoluteTimeoutSeconds >= c.idleTimeoutSeconds, {
    path: ['absoluteTimeoutSeconds'],
    message: 'must be at least idleTimeoutSeconds',
  });

export type OidcConfig = z.output<typeof oidcConfigSchema>;

/** Access control: disclosure threshold, CORS allow-list, rate limits per role. */
export const accessConfigSchema = z
  .object({
    disclosureK: z.number().int().min(2).max(50).default(ACCESS_DEFAULTS.disclosureK),
    jwt: jwtConfigSchema.optional(),
    /** Sign-in for people in browsers (OpenID Connect); without it `/auth/*` answers 404. */
    oidc: oidcConfigSchema.optional(),
    /** Approved query feeds anyone may read without a key (under disclosure control). */
    publicFeeds: z
      .array(z.string().regex(/^[a-z0-9-]+$/, 'must be a feed name such as national-latest'))
      .default([]),
    /** Browser origins allowed to call the API (CORS); none by default. */
    corsOrigins: z.array(z.url({ protocol: /^https?$/, error: 'must be an http(s) origin' })).default([]),
    /** Requests per key per window, by role; `anonymous` is per IP, for callers without a valid key. */
    rateLimits: z
      .object({
        analyst: rateLimitSchema(600),
        dashboard: rateLimitSchema(1200),
        journalist: rateLimitSchema(300),
        operator: rateLimitSchema(300),
        anonymous: rateLimitSchema(60),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

export type AccessConfig = z.output<typeof accessConfigSchema>;

/** The whole gateway configuration file. */
export const configFileSchema = z
  .object({
    forces: z
      .object({
        /** A forces CSV (id,name,gss_code,nation,region), relative to the config file. */
        file: z.string().min(1),
        /** `extend` adds to (or overrides entries of) the 45 UK forces; `replace` uses only the file. */
        mode: z.enum(['extend', 'replace']).default('extend'),
      })
      .strict()
      .optional(),
    national: z
      .object({
        windowDays: z.number().int().min(1).max(3650).default(NATIONAL_DEFAULTS.windowDays),
        registeredWindowDays: z
          .number()
          .int()
          .min(1)
          .max(3650)
          .default(NATIONAL_DEFAULTS.registeredWindowDays),
      })
      .strict()
      .prefault({}),
    access: accessConfigSchema,
    upstream: upstreamConfigSchema,
    /** Whether the bundled published sources are served too (they are by default only without a file). */
    includeBundled: z.boolean().default(false),
    /**
     * Folders (relative to the config file) that file locations may be in, besides the config file's own
     * folder; a file location anywhere else is refused at start.
     * @default []
     */
    fileRoots: z.array(z.string().min(1)).default([]),
    sources: z.array(sourceConfigSchema).default([]),
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.sources.forEach((s, i) => {
      if (seen.has(s.id))
        ctx.addIssue({
          code: 'custom',
          path: ['sources', i, 'id'],
          message: `duplicate source id "${s.id}"`,
        });
      seen.add(s.id);
    });
  });

export type ConfigFile = z.output<typeof configFileSchema>;
