import { Field, Float, Int, ObjectType } from 'type-graphql';
import { BreakdownType, FigureType } from '../common/figure.type';
import { DimensionEnum, OutcomeEnum } from '../enums';
import { DateScalar } from '../scalars';

@ObjectType('ForceRates', {
  simpleResolvers: true,
  description: "A force's rates, where both parts are known.",
})
export class ForceRatesType {
  @Field(() => Float, { nullable: true, description: 'Unaccounted per 1,000 registered sex offenders.' })
  per1000Registered!: number | null;

  @Field(() => Float, { nullable: true, description: 'Unaccounted per 100,000 population.' })
  per100kPopulation!: number | null;
}

@ObjectType('ForceSnapshot', {
  simpleResolvers: true,
  description: "A force's latest figures as at a date: each measure chosen on its own.",
})
export class ForceSnapshotType {
  @Field(() => DateScalar)
  asAt!: string;

  @Field(() => Int)
  windowDays!: number;

  @Field(() => OutcomeEnum, { description: "The headline's part in a national total." })
  outcome!: string;

  @Field(() => FigureType, { nullable: true, description: 'The headline count (see its basis).' })
  unaccounted!: FigureType | null;

  @Field(() => FigureType, { nullable: true })
  registered!: FigureType | null;

  @Field(() => FigureType, { nullable: true })
  breachesCautionedOrConvicted!: FigureType | null;

  @Field(() => FigureType, { nullable: true })
  returnedToCustody!: FigureType | null;

  @Field(() => [FigureType], {
    description:
      'Figures dated exactly as a chosen one that the choice left out: another basis of the headline ' +
      '(the headline takes WHEREABOUTS_UNKNOWN, then MISSING_OR_WANTED, then WANTED), or a publication ' +
      'that disagrees. Shown beside the chosen figures, never summed.',
  })
  setAside!: FigureType[];

  @Field(() => [BreakdownType])
  breakdowns!: BreakdownType[];

  @Field(() => ForceRatesType)
  rates!: ForceRatesType;
}

export { DimensionEnum };
