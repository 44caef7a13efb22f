import { createPubSub } from '@graphql-yoga/subscription';
import { Arg, ID, Resolver, Root, Subscription } from 'type-graphql';
import { WhereaboutsError } from '../../errors';
import type { FiguresChangedEvent, LiveChanges } from '../../live/changes';
import type { RequestContext } from '../context';
import { MAX_FILTER_IDS } from '../force/force.resolver';
import { FiguresChangedType } from './figures-changed.type';

/** The context of an operation over graphql-ws: as over HTTP, plus this app's live changes. */
export interface LiveContext extends RequestContext {
  readonly live: LiveChanges;
}

/**
 * type-graphql requires a pubSub in `buildSchema` once the schema has a subscription. `figuresChanged`
 * does not use it: it subscribes through `subscribe`, to the `LiveChanges` of the app serving the
 * operation (from the context), because the schema is built once per process while every app (two in
 * one test process) must hear only its own instance and, through Redis, the others. Nothing is ever
 * published here.
 */
export const SCHEMA_PUBSUB = createPubSub();

/** Checks the `forceIds` argument: null for every force, else known ids (deduplicated). */
export function checkedForceIds(
  forceIds: readonly string[] | null | undefined,
  ctx: Pick<RequestContext, 'service'>,
): string[] | null {
  if (forceIds === null || forceIds === undefined) return null;
  if (forceIds.length === 0) {
    throw new WhereaboutsError(
      'BAD_USER_INPUT',
      'forceIds must name at least one force; leave it out (or null) for every force',
    );
  }
  if (forceIds.length > MAX_FILTER_IDS) {
    throw new WhereaboutsError(
      'BAD_USER_INPUT',
      `forceIds may name at most ${MAX_FILTER_IDS} forces; got ${forceIds.length}`,
    );
  }
  const unknown = ctx.service.registry.unknownIds(forceIds);
  if (unknown.length) {
    throw new WhereaboutsError(
      'UNKNOWN_FORCE',
      `unknown force id(s): ${unknown.slice(0, 20).join(', ')}; see the forces query for valid ids`,
      { unknownIds: unknown.slice(0, 20) },
    );
  }
  return [...new Set(forceIds)];
}

@Resolver()
export class FiguresChangedResolver {
  @Subscription(() => FiguresChangedType, {
    description:
      "One event whenever a source's stored report changes, on any instance, for the sources covering any of `forceIds` (every source when null or absent). Served over graphql-ws at /graphql; dashboard and journalist keys send the approved document's manifest text exactly.",
    subscribe: ({ args, context }) => {
      const ctx = context as Partial<LiveContext> & RequestContext;
      const forceIds = checkedForceIds((args as { forceIds?: string[] | null }).forceIds, ctx);
      if (!ctx.live) {
        throw new WhereaboutsError(
          'BAD_REQUEST',
          'subscriptions are served over graphql-ws (WebSocket) at /graphql, not over HTTP',
        );
      }
      return ctx.live.subscribe(forceIds);
    },
  })
  figuresChanged(
    @Root() event: FiguresChangedEvent | undefined,
    @Arg('forceIds', () => [ID], { nullable: true }) _forceIds: string[] | null,
  ): FiguresChangedType {
    // Executed as a query (a subscription sent over HTTP, where Apollo runs it once with no event).
    if (!event) {
      throw new WhereaboutsError(
        'BAD_REQUEST',
        'subscriptions are served over graphql-ws (WebSocket) at /graphql, not over HTTP',
      );
    }
    return { sourceId: event.sourceId, forceIds: [...event.forceIds], changedAt: event.changedAt };
  }
}
