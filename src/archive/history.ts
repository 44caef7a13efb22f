/**
 * The gateway's memory, as the GraphQL layer asks it: the figures that may count at each of a series'
 * days (or one day's), as known now or at a past moment, and a force's revisions.
 *
 * - **As known at a past moment:** the archive alone, as it stood then.
 * - **Now:** what the sources say now (the snapshot, which also says which sources failed) together with
 *   what the archive remembers that they no longer list (a live feed that gives only today's figure:
 *   yesterday's comes from the archive).
 *
 * The archive preselects, per day and force, the figure the selection rule would choose among its own
 * (`Archive.bestAt`: index lookups, whatever the size of the history); the domain's `selectFigure` then
 * chooses among that and the snapshot's, so that one rule decides in the end.
 */
import type { Figure, Measure } from '../domain/figure';
import type { Force } from '../domain/force-registry';
import type { PriorityOf } from '../domain/selection';
import { datedRange, readFrom } from '../domain/series';
import { WhereaboutsError } from '../errors';
import type { Snapshot } from '../store/snapshot';
import type { Archive, ArchivedFigure, DayWindow } from './archive';

const DAY_MS = 86_400_000;
/** Past this, a moment is "whenever": no day to bound a window by (Date's range ends at 8.64e15 ms). */
const LAST_INSTANT = 8.64e15 - DAY_MS;

/** The moment "now" is as known at: every version recorded so far. */
const NOW = Number.MAX_SAFE_INTEGER;

/** How figures are chosen for a day: the windows of the two measures a summary reads, and priorities. */
export interface Selection {
  readonly windowDays: number;
  readonly registeredWindowDays: number;
  readonly priorityOf: PriorityOf;
  /** Each configured source's priority, for the archive's preselection (sources not named: 0). */
  readonly priorities: Readonly<Record<string, number>>;
}

/** The figures by force that may count on each day asked, and where they came from. */
export interface FiguresAt {
  readonly perDay: ReadonlyMap<string, readonly Figure[]>[];
  /** True when the archive was read; false when the gateway keeps none (the sources' word alone). */
  readonly fromArchive: boolean;
}

const MEASURES_OF_A_SUMMARY: readonly Measure[] = ['UNACCOUNTED', 'REGISTERED'];

/** Reads the archive for the GraphQL layer, with errors a caller can act on. */
export class History {
  constructor(readonly archive: Archive | null) {}

  /**
   * For each day in `days`, every figure by force that may count as at that day (per `selection`), as
   * known at `knownAt` (epoch ms) or, with null, now.
   */
  async figuresAt(
    snapshot: Snapshot,
    knownAt: number | null,
    forces: readonly Force[],
    days: readonly string[],
    selection: Selection,
  ): Promise<FiguresAt> {
    if (knownAt === null && !this.archive)
      return { perDay: days.map(() => snapshot.figuresByForce), fromArchive: false };
    const archive = this.required();
    const forceIds = forces.map((f) => f.id);
    // Nothing known at a moment is dated after its day (the sources' checks refuse figures dated in the
    // future), so a window is read only up to it: a day after the moment is not searched for a figure
    // that cannot be there.
    const knownDay =
      knownAt === null || knownAt >= LAST_INSTANT
        ? null
        : new Date(knownAt + DAY_MS).toISOString().slice(0, 10);
    const windowsOf = (windowDays: number): DayWindow[] =>
      days.map((day) => ({
        from: readFrom(day, windowDays),
        to: knownDay !== null && knownDay < day ? knownDay : day,
      }));
    const [headline, registered] = await this.guard(() =>
      Promise.all(
        MEASURES_OF_A_SUMMARY.map((measure) =>
          archive.bestAt({
            measure,
            forceIds,
            windows: windowsOf(
              measure === 'REGISTERED' ? selection.registeredWindowDays : selection.windowDays,
            ),
            knownAt: knownAt ?? NOW,
            priorities: selection.priorities,
          }),
        ),
      ),
    );
    const perDay = days.map((_, i) => {
      const byForce = new Map<string, Figure[]>();
      for (const id of forceIds) {
        const figures: Figure[] = [];
        const h = headline![i]!.get(id);
        const r = registered![i]!.get(id);
        if (h) figures.push(h);
        if (r) figures.push(r);
        // Now, the sources' own word too: a report fetched a moment ago may not be written yet, and a
        // failed source's UNAVAILABLE figure says why a force has nothing.
        if (knownAt === null) figures.push(...(snapshot.figuresByForce.get(id) ?? []));
        if (figures.length > 0) byForce.set(id, figures);
      }
      return byForce as ReadonlyMap<string, readonly Figure[]>;
    });
    return { perDay, fromArchive: true };
  }

  /** The first and last day the headline figures of these forces start on, as known at the moment. */
  async headlineRange(
    snapshot: Snapshot,
    knownAt: number | null,
    forces: readonly Force[],
  ): Promise<DayWindow | null> {
    const current =
      knownAt === null
        ? datedRange(
            forces.flatMap((f) =>
              (snapshot.figuresByForce.get(f.id) ?? []).filter((x) => x.measure === 'UNACCOUNTED'),
            ),
          )
        : null;
    const archive = knownAt === null && !this.archive ? null : this.required();
    const archived = archive
      ? await this.guard(() =>
          archive.dateRange({
            measure: 'UNACCOUNTED',
            forceIds: forces.map((f) => f.id),
            knownAt: knownAt ?? NOW,
          }),
        )
      : null;
    const from = [current?.earliest, archived?.from].filter((d): d is string => d !== undefined).sort()[0];
    const to = [current?.latest, archived?.to]
      .filter((d): d is string => d !== undefined)
      .sort()
      .at(-1);
    return from === undefined || to === undefined ? null : { from, to };
  }

  /** Every version of a force's figures (optionally one measure's), oldest date first. */
  async revisions(forceId: string, measure?: Measure): Promise<ArchivedFigure[]> {
    const archive = this.required();
    return this.guard(() => archive.revisions(forceId, measure));
  }

  private required(): Archive {
    if (!this.archive)
      throw new WhereaboutsError(
        'ARCHIVE_OFF',
        'this gateway keeps no archive, so it cannot answer as known at a past moment or list revisions',
      );
    return this.archive;
  }

  /**
   * A read that failed in the database is said plainly, without the driver's message (it may name
   * hosts), which stays on the error for the server's log only.
   */
  private async guard<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      const refusal = new WhereaboutsError(
        'ARCHIVE_UNAVAILABLE',
        'the archive could not be read just now; retry later',
      );
      Object.defineProperty(refusal, 'cause', { value: error, enumerable: false });
      throw refusal;
    }
  }
}
