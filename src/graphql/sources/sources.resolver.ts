import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { REFRESH_SOURCE, authorise } from '../../access/policy';
import { WhereaboutsError } from '../../errors';
import { refusalError } from '../access.plugin';
import type { RequestContext } from '../context';
import { SourceStatusType } from './source-status.type';
import { sourceStatusView } from './source-status.view';

@Resolver()
export class SourcesResolver {
  @Query(() => [SourceStatusType], { description: 'The status of each configured source.' })
  async sources(@Ctx() ctx: RequestContext) {
    const snapshot = await ctx.loaders.snapshot();
    return ctx.service.sources.map((source, i) => sourceStatusView(source, snapshot.reads[i]!, ctx.nowMs));
  }

  @Mutation(() => SourceStatusType, {
    description:
      'Operators only: fetch a source now, whatever its cache holds; every instance drops its copy.',
  })
  async refreshSource(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    const verdict = authorise(ctx.caller, REFRESH_SOURCE);
    if (!verdict.ok) throw refusalError(verdict.refusal);
    const source = ctx.service.sourcesById.get(id);
    if (!source)
      throw new WhereaboutsError('BAD_USER_INPUT', `unknown source id "${id}"; see the sources query`);
    const read = await ctx.service.refresh(id);
    return sourceStatusView(source, read, ctx.service.now());
  }
}
