import type { Fault, MalformedVariant } from './faults';
import { PII_CANARIES, defaultMalformedVariant } from './faults';
import type { FigureModel } from './figures';
import type { WireFormat } from './formats';
import { formatOf } from './formats';
import type { FeedDefinition } from './layout';

/** A response body the server sends as is. */
export interface RenderedBody {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** What a payload is rendered from: the figure model and the simulator's current time. */
export interface RenderContext {
  readonly model: FigureModel;
  readonly bucket: number;
  /** The simulator's current day (UTC), YYYY-MM-DD: every figure is as at today, at day precision. */
  readonly asAt: string;
  /** The simulator's current time, for the payload's `generatedAt`. */
  readonly nowIso: string;
}

type Scalar = string | number | boolean | null;
/** A row in our field names, before it is written in the feed's own field names. */
type OurRow = Record<string, Scalar | undefined>;
type WireRow = Record<string, unknown>;

function styled(format: WireFormat, value: string): string {
  return format.enumStyle === 'words' ? value.toLowerCase().replace(/_/g, ' ') : value;
}

/** The feed's rows in our field names: the figure model's output, dressed in the feed's conventions. */
function ourRows(feed: FeedDefinition, format: WireFormat, ctx: RenderContext): OurRow[] {
  const { model, bucket, asAt } = ctx;
  switch (feed.shape) {
    case 'counts':
      return feed.forces.map((id) => {
        const c = model.count(id, bucket, asAt);
        return {
          forceId: id,
          asAt,
          precision: 'day',
          basis: styled(format, c.basis),
          unaccounted: c.unaccounted,
          registered: c.registered,
        };
      });
    case 'records':
      return feed.forces.flatMap((id) =>
        model.records(id, bucket, asAt).map((r) => ({
          forceId: r.forceId,
          asAt: r.asAt,
          yearWentMissing: r.yearWentMissing,
          offenceCategory: styled(format, r.offenceCategory),
          mappaLevel: r.mappaLevel,
        })),
      );
    case 'breakdowns':
      return feed.forces.flatMap((id) =>
        model.breakdowns(id, bucket, asAt, feed.withheld).map((cell) => {
          let category = cell.category;
          if (cell.dimension === 'MAPPA_LEVEL' && cell.status === 'REPORTED' && format.prefixedMappaLevels) {
            category = `mappa_level_${category}`;
          } else if (cell.dimension !== 'YEAR_WENT_MISSING') {
            category = styled(format, category);
          }
          return {
            forceId: id,
            asAt,
            dimension: styled(format, cell.dimension),
            category,
            value: cell.value,
            status: styled(format, cell.status),
            complete: true,
          };
        }),
      );
    case 'totals': {
      const t = model.total(bucket, asAt);
      return [{ ...t }];
    }
    default: {
      const unreachable: never = feed.shape;
      throw new Error(`unreachable shape ${String(unreachable)}`);
    }
  }
}

function setPath(target: WireRow, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  keys.slice(0, -1).forEach((key) => {
    node[key] ??= {};
    node = node[key] as WireRow;
  });
  node[keys[keys.length - 1]!] = value;
}

function getPath(target: WireRow, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (node, key) => (node !== null && typeof node === 'object' ? (node as WireRow)[key] : undefined),
      target,
    );
}

function deletePath(target: WireRow, path: string): void {
  const keys = path.split('.');
  const parent = keys.length === 1 ? target : getPath(target, keys.slice(0, -1).join('.'));
  if (parent !== null && typeof parent === 'object') delete (parent as WireRow)[keys[keys.length - 1]!];
}

/** The name a renamed field drifts to: what a supplier's "v2" export would call it. */
export function renamedPath(path: string): string {
  return `${path}_v2`;
}

/** Writes a row in the feed's own field names (dotted paths become nested objects). */
function toWire(row: OurRow, format: WireFormat): WireRow {
  const wire: WireRow = {};
  for (const [ours, theirs] of Object.entries(format.mapping)) {
    const value = row[ours];
    if (value !== undefined) setPath(wire, theirs, value);
  }
  return wire;
}

/** The feed's field that `renamed-field` drift renames: the one asked for, else the format's default. */
export function driftFieldOf(feed: FeedDefinition, fault: Extract<Fault, { mode: 'drift' }>): string {
  return fault.field ?? formatOf(feed).renameField;
}

/** Applies schema drift to wire rows; returns the renamed column, if any, for the CSV header. */
function applyDrift(
  feed: FeedDefinition,
  format: WireFormat,
  rows: WireRow[],
  fault: Extract<Fault, { mode: 'drift' }>,
): { from: string; to: string } | null {
  if (fault.variant === 'renamed-field') {
    const from = format.mapping[driftFieldOf(feed, fault)]!;
    const to = renamedPath(from);
    for (const row of rows) {
      const value = getPath(row, from);
      if (value === undefined) continue;
      deletePath(row, from);
      setPath(row, to, value);
    }
    return { from, to };
  }
  const path = format.mapping[format.valueField]!;
  for (const row of rows) {
    const value = getPath(row, path);
    if (typeof value !== 'number') continue;
    if (fault.variant === 'negative-count') setPath(row, path, -Math.max(1, value));
    // CSV cells are text anyway: drift there is a spreadsheet's decimal formatting ("12.0").
    else setPath(row, path, feed.kind === 'csv' ? `${value}.0` : String(value));
  }
  return null;
}

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function toCsv(
  columns: readonly string[],
  rows: readonly WireRow[],
  malformed: MalformedVariant | null,
): string {
  const lines = [columns.map(csvCell).join(',')];
  for (const row of rows) {
    const cells = columns.map((c) => csvCell(row[c]));
    // A short row (one cell fewer than the header) is what a broken export most often looks like.
    lines.push((malformed === 'missing-column' ? cells.slice(0, -1) : cells).join(','));
  }
  if (malformed === 'missing-column' && rows.length === 0) lines.push(csvCell(columns.length > 1 ? 'x' : ''));
  return `${lines.join('\r\n')}\r\n`;
}

/** A body cut off part-way, as a proxy that timed out mid-stream leaves it. */
function truncate(body: string, kind: FeedDefinition['kind']): string {
  if (kind !== 'csv') return body.slice(0, Math.max(1, Math.floor(body.length / 2)));
  // Cut mid-row (just after a separator) so that the last row is short, not a clean shorter file.
  const lines = body.split('\r\n').filter(Boolean);
  const keep = lines.slice(0, Math.max(1, Math.ceil(lines.length / 2)));
  const last = lines[keep.length] ?? lines[0]!;
  const comma = last.indexOf(',');
  return `${keep.join('\r\n')}\r\n${comma >= 0 ? last.slice(0, comma) : last}`;
}

const HTML_PAGE = `<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head>
<body><h1>Bad Gateway</h1><p>SIMULATED: the upstream portal is temporarily unavailable. Please try again later.</p></body></html>
`;

/**
 * Renders a feed's payload as the simulator's clock and the feed's fault (if a data fault) say.
 * Transport faults (slow, hang, errors, flaky) are the server's business, not this function's.
 */
export function renderFeed(feed: FeedDefinition, ctx: RenderContext, fault: Fault | null): RenderedBody {
  const format = formatOf(feed);
  const malformed =
    fault?.mode === 'malformed' ? (fault.variant ?? defaultMalformedVariant(feed.kind)) : null;
  if (malformed === 'html') return { status: 200, contentType: 'text/html; charset=utf-8', body: HTML_PAGE };

  const rows = ourRows(feed, format, ctx).map((row) => toWire(row, format));
  let columns = Object.values(format.mapping);
  if (fault?.mode === 'drift') {
    const renamed = applyDrift(feed, format, rows, fault);
    if (renamed) columns = columns.map((c) => (c === renamed.from ? renamed.to : c));
  }
  if (fault?.mode === 'pii') {
    for (const row of rows) Object.assign(row, { name: PII_CANARIES.name, address: PII_CANARIES.address });
    columns = [...columns, 'name', 'address'];
  }
  if (malformed === 'missing-column' && feed.kind !== 'csv') {
    // Rows without a field the gateway needs; with no rows at all, one empty row still breaks the payload.
    const required = format.mapping.forceId ?? format.mapping.scope ?? format.mapping.asAt!;
    for (const row of rows) deletePath(row, required);
    if (rows.length === 0) rows.push({});
  }

  let body: string;
  let contentType: string;
  if (feed.kind === 'csv') {
    body = toCsv(columns, rows, malformed);
    contentType = 'text/csv; charset=utf-8';
  } else {
    const payload =
      feed.kind === 'graphql'
        ? { data: { figures: rows }, extensions: { simulated: true } }
        : envelope(feed, format, rows, ctx);
    body = JSON.stringify(payload);
    contentType = 'application/json; charset=utf-8';
  }
  if (malformed === 'truncated-json') body = truncate(body, feed.kind);
  return { status: 200, contentType, body };
}

/** A JSON feed's document: the rows at the configured path, beside labels that say it is simulated. */
function envelope(feed: FeedDefinition, format: WireFormat, rows: WireRow[], ctx: RenderContext): WireRow {
  const doc: WireRow = { simulated: true, title: feed.title, generatedAt: ctx.nowIso };
  setPath(doc, format.path ?? 'rows', rows);
  return doc;
}
