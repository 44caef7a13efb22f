import { Field, ID, InputType } from 'type-graphql';

@InputType('ForceFilter', { description: 'Narrows a list of forces. Conditions combine with AND.' })
export class ForceFilterInput {
  @Field(() => [ID], { nullable: true, description: 'Only these ids; an unknown id is an error naming it.' })
  ids?: string[] | null;

  @Field(() => String, { nullable: true, description: 'England, Wales, Scotland or Northern Ireland.' })
  nation?: string | null;

  @Field(() => String, { nullable: true })
  region?: string | null;
}
