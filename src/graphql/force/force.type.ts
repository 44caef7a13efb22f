import { Field, ID, ObjectType } from 'type-graphql';
import { PopulationType } from '../common/figure.type';

@ObjectType('Force', {
  simpleResolvers: true,
  description: 'A territorial police force: the unit every figure belongs to.',
})
export class ForceType {
  @Field(() => ID, {
    description: 'data.police.uk slug, e.g. "dorset"; "police-scotland" is this project\'s own.',
  })
  id!: string;

  @Field()
  name!: string;

  @Field(() => String, {
    nullable: true,
    description: 'ONS GSS code of the police force area (N99999999 is a pseudo code).',
  })
  gssCode!: string | null;

  @Field({ description: 'England, Wales, Scotland or Northern Ireland.' })
  nation!: string;

  @Field({ description: 'Home Office police region (the nation for Wales, Scotland and Northern Ireland).' })
  region!: string;

  @Field(() => PopulationType, {
    nullable: true,
    description: 'Population of the force area, where published.',
  })
  population!: PopulationType | null;
}
