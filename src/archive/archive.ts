/**
 * The archive's contract: every distinct figure the gateway has received, with when it was first and
 * last seen, kept after the cache has forgotten it. Redis remains the cache; the archive is the memory
 * that answers "how has it changed", a force's revisions, and "what did we know on that day" (`knownAt`).
 *
 * Counts only: a figure is a force's count with its date, status and citation (the domain's `Figure`),
 * and nothing else goes in.
 */
import type { Figure, Measure } from '../domain/figure';

/**
 * One version of one figure: what one source said about one force's measure (and basis) as at one date,
 * for as long as it kept saying it. A source that revises the figure starts a new version; the old one
 * gets `supersededAt`. Versions of one figure never overlap in time.
 */
export interface ArchivedFigure {
  /**
   * The figure as the source gave it. `provenance.retrievedAt` is when this version was first seen,
   * so that two versions are told apart by it.
   */
  readonly figure: Figure;
  /** When the gateway first received this version (epoch ms). */
  readonly firstSeen: number;
  /** When the gateway last received it (epoch ms): the source still said it then. */
  readonly lastSeen: number;
  /** When a revision replaced it (epoch ms); null while it is the source's current word. */
  readonly supersededAt: number | null;
}

/** What one source said in one fetch, to be recorded. */
export interface ReportToRecord {
  readonly sourceId: string;
  readonly figures: readonly Figure[];
  /** When the gateway received it (epoch ms): the fetch time. */
  readonly seenAt: number;
}

/** What one `record` call changed: how many figures were new, revised, or seen again unchanged. */
export interface RecordOutcome {
  /** Figures the archive had never seen (a new force, measure or date from the source). */
  readonly added: number;
  /** Figures the source gave differently before, for the same force, measure, basis and date. */
  readonly revised: number;
  /** Figures seen again unchanged: only their `lastSeen` moved. */
  readonly unchanged: number;
  /** Figures from a report older than the version already held, which cannot change history. */
  readonly ignored: number;
}

/** Which figures to read, as known at a moment. */
export interface KnownAtQuery {
  /** The moment (epoch ms): each figure's version that was current then; figures first seen later are absent. */
  readonly knownAt: number;
  /** Only figures whose period starts on or after this day (ISO date). */
  readonly from?: string;
  /** Only figures whose period starts on or before this day (ISO date). */
  readonly to?: string;
  /** Only these measures. */
  readonly measures?: readonly Measure[];
}

/** A day range a figure must be dated within to be chosen as at its end (a point and its window). */
export interface DayWindow {
  /** The earliest day the figure's period may start on. */
  readonly from: string;
  /** The day asked about: the figure's period starts on or before it. */
  readonly to: string;
}

/** Which figures `bestAt` chooses among, and how it breaks ties. */
export interface BestAtQuery {
  readonly measure: Measure;
  readonly forceIds: readonly string[];
  readonly windows: readonly DayWindow[];
  /** As known at this moment (epoch ms). */
  readonly knownAt: number;
  /** Configured source priorities (a source not named has 0): the third tie-break, as in `isPreferred`. */
  readonly priorities: Readonly<Record<string, number>>;
}

/** The backends an archive can be kept in. */
export type ArchiveKind = 'sqlite' | 'postgres';

/** A durable record of every distinct figure seen. Both backends pass the same contract tests. */
export interface Archive {
  readonly kind: ArchiveKind;
  /**
   * Records what sources said, all or nothing (one transaction for all the reports given): new figures
   * are added, changed ones start a new version, unchanged ones have their `lastSeen` moved. Idempotent:
   * recording the same report again changes nothing but `lastSeen`. `UNAVAILABLE` figures (a failed
   * source) are not figures a source gave, and are skipped. Reports of distinct sources only.
   */
  record(reports: readonly ReportToRecord[]): Promise<RecordOutcome>;
  /** Each figure as known at the moment: its version current then. Undated figures are never returned. */
  knownAt(query: KnownAtQuery): Promise<ArchivedFigure[]>;
  /**
   * For each window and force, the figure `selectFigure` would choose as at the window's end among the
   * archive's figures current at `knownAt` (the latest start, then the finer precision, then the higher
   * priority, then the source id): one index lookup per force and window, whatever the history's size.
   * One map (force id → figure) per window, in order; a force with no figure in a window is absent.
   */
  bestAt(query: BestAtQuery): Promise<Array<Map<string, Figure>>>;
  /** The first and last day the dated figures of a measure for these forces start on, as known at a moment. */
  dateRange(query: {
    readonly measure: Measure;
    readonly forceIds: readonly string[];
    readonly knownAt: number;
  }): Promise<DayWindow | null>;
  /** Every version of every figure for a force, oldest date first, then oldest version first. */
  revisions(forceId: string, measure?: Measure): Promise<ArchivedFigure[]>;
  /** How many versions it holds (for health and the benchmark). */
  count(): Promise<number>;
  close(): Promise<void>;
}
