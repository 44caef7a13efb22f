import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../context';
import type { FigureView } from '../views';
import { ageSecondsOf } from '../views';
import { FigureType } from './figure.type';

/**
 * A figure's per-request fields. `ageSeconds` is the only part of a figure that changes with the clock,
 * so it is resolved here against the request's clock while the rest of the view is shared per snapshot.
 */
@Resolver(() => FigureType)
export class FigureFieldsResolver {
  @FieldResolver()
  ageSeconds(@Root() figure: FigureView, @Ctx() ctx: RequestContext): number {
    return ageSecondsOf(figure, ctx.nowMs);
  }
}
