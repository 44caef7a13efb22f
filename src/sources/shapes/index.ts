import type { SourceShape } from '../../config/schema';
import type { SourceReport } from '../../domain/figure';
import { breakdownsToReport } from './breakdowns';
import type { ShapeContext } from './common';
import { countsToReport } from './counts';
import { recordsToReport } from './records';
import { totalsToReport } from './totals';

export type { ShapeContext } from './common';

/** Turns validated rows of a shape into a report. */
export type ShapeReducer = (rows: readonly unknown[], ctx: ShapeContext) => SourceReport;

/** The reducer for each shape. */
export const SHAPES: Record<SourceShape, ShapeReducer> = {
  counts: countsToReport,
  breakdowns: breakdownsToReport,
  records: recordsToReport,
  totals: totalsToReport,
};
