import { ApolloArmor } from '@escape.tech/graphql-armor';

/** Defaults of the HTTP layer. */
export const HTTP_DEFAULTS = {
  /** @default 64 KiB: queries are small; a larger body is an attack or a mistake. */
  bodyLimitBytes: 64 * 1024,
  /** @default 5000: Apollo's parser stops at this many tokens (a parse error, 400). */
  maxTokens: 5000,
  /**
   * @default 7: deepest selection, fragments flattened. The approved operations go to 5; the schema has
   * no cycles, so this only stops the deepest path (coverage -> force -> latest -> breakdowns -> cells).
   */
  maxDepth: 7,
  /** @default 15 */
  maxAliases: 15,
  /** @default 10 */
  maxDirectives: 10,
  /**
   * @default 1000: graphql-armor's cost (objects 2, scalars 1, times 1.5 per level of depth). The largest
   * approved operation (national-latest) costs 219; ten aliased copies of a deep force query cost 2,189.
   */
  maxCost: 1000,
} as const;

/**
 * graphql-armor's protections at `HTTP_DEFAULTS`: depth (fragments flattened), aliases, directives and
 * cost, as validation rules and Apollo plugins, for every transport that runs documents (Apollo, the
 * compiled documents of the request path, graphql-ws).
 */
export function requestLimits(): ReturnType<ApolloArmor['protect']> {
  return new ApolloArmor({
    maxDepth: { n: HTTP_DEFAULTS.maxDepth, flattenFragments: true },
    maxAliases: { n: HTTP_DEFAULTS.maxAliases },
    maxDirectives: { n: HTTP_DEFAULTS.maxDirectives },
    costLimit: { maxCost: HTTP_DEFAULTS.maxCost },
    // Armor's token limit turns parse errors into 500s (armor #571); Apollo's parseOptions does it right.
    maxTokens: { enabled: false },
    // Suggestions are a per-role matter: restricted roles never reach validation (raw text is refused).
    blockFieldSuggestion: { enabled: false },
  }).protect();
}
