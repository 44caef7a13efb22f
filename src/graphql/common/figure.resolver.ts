import type { GraphQLFieldResolver } from 'graphql';
import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../context';
import type { FigureView } from '../views';
import { ageSecondsOf } from '../views';
import { FigureType } from './figure.type';

/** `Figure.ageSeconds`: seconds since the gateway fetched the figure, on the request's clock. */
export const resolveAgeSeconds: GraphQLFieldResolver<FigureView, RequestContext> = (figure, _args, ctx) =>
  ageSecondsOf(figure, ctx.nowMs);

/**
 * A figure's per-request fields. `ageSeconds` is the only part of a figure that changes with the clock,
 * so it is resolved here against the request's clock while the rest of the view is shared per snapshot.
 *
 * This class declares the field for type-graphql; the built schema resolves it with `resolveAgeSeconds`
 * directly (see `DIRECT_FIELD_RESOLVERS` in ../schema.ts).
 */
@Resolver(() => FigureType)
export class FigureFieldsResolver {
  @FieldResolver()
  ageSeconds(@Root() figure: FigureView, @Ctx() ctx: RequestContext): number {
    return ageSecondsOf(figure, ctx.nowMs);
  }
}
