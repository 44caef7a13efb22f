import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { BreakdownType } from '../common/figure.type';
import { DimensionEnum } from '../enums';
import { ForceType } from '../force/force.type';
import { DateScalar } from '../scalars';

/** How one force's breakdown stands in a national table (`RowDisclosure` in `domain/breakdown-table.ts`). */
export const RowDisclosureEnum = {
  SHOWN: 'SHOWN',
  SUPPRESSED: 'SUPPRESSED',
  NOT_REPORTED: 'NOT_REPORTED',
  NONE: 'NONE',
} as const;

registerEnumType(RowDisclosureEnum, {
  name: 'RowDisclosure',
  description: "How a force's breakdown stands in a national table.",
  valuesConfig: {
    SHOWN: { description: 'Its reported cells are shown and counted in the column totals.' },
    SUPPRESSED: {
      description:
        'Disclosure control hid every reported cell (some cell was from 1 to k-1, or the whole count at most k).',
    },
    NOT_REPORTED: { description: 'The force refused the breakdown or has no reported cell.' },
    NONE: { description: 'No source gave the force a breakdown by this dimension in the window.' },
  },
});

@ObjectType('BreakdownRow', { simpleResolvers: true, description: "One force's row of a national table." })
export class BreakdownRowType {
  @Field(() => ForceType)
  force!: ForceType;

  @Field(() => RowDisclosureEnum)
  disclosure!: string;

  @Field(() => Int, {
    nullable: true,
    description: 'The count the breakdown splits, as the force gave it for the same date (the row total).',
  })
  headline!: number | null;

  @Field(() => BreakdownType, { nullable: true, description: 'Null when the force has none (NONE).' })
  breakdown!: BreakdownType | null;
}

@ObjectType('BreakdownColumnTotal', {
  simpleResolvers: true,
  description:
    "One category's total over the forces whose cells are shown: never the suppressed cells (see the " +
    "table's coverage for what it leaves out).",
})
export class BreakdownColumnTotalType {
  @Field()
  category!: string;

  @Field(() => Int, {
    nullable: true,
    description: 'Sum of the shown cells; null when the disclosure audit withdrew it.',
  })
  value!: number | null;

  @Field(() => Int, { description: 'How many shown forces give a value in this category.' })
  forces!: number;
}

@ObjectType('BreakdownCoverage', {
  simpleResolvers: true,
  description: "What a national table's column totals cover: each force is in exactly one of the counts.",
})
export class BreakdownCoverageType {
  @Field(() => Int)
  forces!: number;

  @Field(() => Int, { description: 'Forces whose cells are shown and counted.' })
  shown!: number;

  @Field(() => Int, { description: 'Of the shown, those whose breakdown covers only part of its count.' })
  shownIncomplete!: number;

  @Field(() => Int, { description: 'Forces whose cells disclosure control hid.' })
  suppressed!: number;

  @Field(() => Int, {
    nullable: true,
    description:
      "The suppressed forces' headline counts added up (public figures); null when one is unknown.",
  })
  suppressedPeople!: number | null;

  @Field(() => Int, { description: 'Forces that refused the breakdown or reported no cell.' })
  notReported!: number;

  @Field(() => Int, { description: 'Forces with no breakdown by this dimension in the window.' })
  none!: number;
}

@ObjectType('DisclosureAudit', {
  simpleResolvers: true,
  description:
    'The interval audit of what this table shows (README, "Disclosure control: method"): for each suppressed ' +
    'cell, the least and most a reader can work out it could be, given every shown cell, row total and column ' +
    'total. It passed: each suppressed cell could be below k or at least k, or is as wide as its row allows.',
})
export class DisclosureAuditType {
  @Field(() => Int, { description: 'The threshold: cells from 1 to k-1 are small.' })
  k!: number;

  @Field(() => Int, { description: 'Suppressed cells whose interval was solved for.' })
  cellsChecked!: number;

  @Field(() => Int, { description: 'Linear programs solved.' })
  solves!: number;

  @Field(() => [String], { description: 'Categories whose column total the audit withdrew (usually none).' })
  withdrawnTotals!: string[];
}

@ObjectType('NationalBreakdown', {
  simpleResolvers: true,
  description:
    "A breakdown across forces: one row per force with its breakdown as your role may see it, and each category's " +
    'total over the forces whose cells are shown.',
})
export class NationalBreakdownType {
  @Field(() => DimensionEnum)
  dimension!: string;

  @Field(() => DateScalar)
  asAt!: string;

  @Field(() => Int)
  windowDays!: number;

  @Field(() => Int, {
    nullable: true,
    description: 'The disclosure threshold applied for your role; null when you see every cell (analyst).',
  })
  disclosureK!: number | null;

  @Field(() => [String], { description: 'Every category any row has, in order (years ascending).' })
  categories!: string[];

  @Field(() => [BreakdownRowType], { description: 'One per force in the registry, sorted by id.' })
  rows!: BreakdownRowType[];

  @Field(() => [BreakdownColumnTotalType], { description: 'One per category, in the order of `categories`.' })
  columnTotals!: BreakdownColumnTotalType[];

  @Field(() => BreakdownCoverageType)
  coverage!: BreakdownCoverageType;

  @Field(() => DisclosureAuditType, {
    nullable: true,
    description: 'Null when no cell is controlled (analyst).',
  })
  audit!: DisclosureAuditType | null;
}
