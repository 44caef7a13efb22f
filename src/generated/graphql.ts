/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** What a headline count counts. */
export type Basis =
  /** One combined figure for missing or wanted. */
  | 'MISSING_OR_WANTED'
  /** Wanted for breaching notification requirements. */
  | 'WANTED'
  /** Whereabouts unknown ("missing"). */
  | 'WHEREABOUTS_UNKNOWN';

/** A source's circuit breaker. */
export type BreakerState =
  | 'CLOSED'
  | 'HALF_OPEN'
  | 'OPEN';

/** Whether a figure carries a value, and if not, why. */
export type FigureStatus =
  /** The force does not record it. */
  | 'NOT_HELD'
  /** The force reported a value (zero included). */
  | 'REPORTED'
  /** Hidden by disclosure control (small counts). */
  | 'SUPPRESSED'
  /** The source failed and nothing usable is cached; see `reason`. */
  | 'UNAVAILABLE'
  /** The force refused to give it. */
  | 'WITHHELD';

/** FRESH within the source TTL; STALE when served past it (refreshing, or its source failing). */
export type Freshness =
  | 'FRESH'
  | 'STALE';

/** A force's part in a total: exactly one per force. */
export type Outcome =
  /** Its figure is only a lower bound (">31300"): shown, not in the sum or any rate. */
  | 'LOWER_BOUND'
  /** The force does not hold the figure. */
  | 'NOT_HELD'
  /** No figure dated within the window. */
  | 'NO_FIGURE'
  /** In the sum. */
  | 'REPORTED'
  /** Its source failed and nothing usable is cached. */
  | 'UNAVAILABLE'
  /** The force withheld its figure. */
  | 'WITHHELD';

/** How precisely a source dates its figure. */
export type Precision =
  | 'DAY'
  | 'MONTH'
  | 'YEAR';

/** How far apart the points of a series are: calendar months, quarters or years. */
export type SeriesInterval =
  | 'MONTH'
  | 'QUARTER'
  | 'YEAR';

/** OK (fresh), STALE (served past its TTL), ERROR (nothing usable), NOT_LOADED (not fetched yet). */
export type SourceState =
  | 'ERROR'
  | 'NOT_LOADED'
  | 'OK'
  | 'STALE';

export type FiguresChangedSubscriptionVariables = Exact<{
  forceIds?: Array<string | number> | string | number | null | undefined;
}>;


export type FiguresChangedSubscription = { figuresChanged: { sourceId: string, forceIds: Array<string>, changedAt: string } };

export type ForceHistoryQueryVariables = Exact<{
  id: string | number;
  from?: string | null | undefined;
  to?: string | null | undefined;
}>;


export type ForceHistoryQuery = { force: { id: string, name: string, history: Array<{ value: number | null, status: FigureStatus, basis: Basis | null, asAt: { date: string, precision: Precision } | null, provenance: { sourceId: string, title: string, url: string | null, simulated: boolean } }> } | null };

export type NationalLatestQueryVariables = Exact<{
  asAt?: string | null | undefined;
  windowDays?: number | null | undefined;
}>;


export type NationalLatestQuery = { national: { name: string, asAt: string, windowDays: number, unaccounted: { value: number, byBasis: Array<{ basis: Basis, value: number, forces: number }> }, coverage: { forces: number, reporting: number, withheld: number, notHeld: number, unavailable: number, withoutFigure: number, stale: number, missing: Array<{ outcome: Outcome, force: { id: string, name: string }, reason: { code: string, message: string } | null }> }, publishedTotals: Array<{ scope: string, measure: string, value: number, forcesResponded: number | null, forcesAsked: number | null, asAt: { date: string, precision: Precision } | null, source: { title: string, url: string | null } }>, forces: Array<{ outcome: Outcome, stale: boolean, force: { id: string, name: string, nation: string, region: string }, figure: { value: number | null, status: FigureStatus, basis: Basis | null, freshness: Freshness, ageSeconds: number, asAt: { date: string, precision: Precision } | null, provenance: { sourceId: string, title: string, url: string | null, retrievedAt: string, simulated: boolean } } | null }> } };

export type NationalSeriesQueryVariables = Exact<{
  from?: string | null | undefined;
  to?: string | null | undefined;
  every?: SeriesInterval | null | undefined;
  windowDays?: number | null | undefined;
  knownAt?: string | null | undefined;
}>;


export type NationalSeriesQuery = { nationalSeries: { name: string, from: string, to: string, every: SeriesInterval, windowDays: number, knownAt: string | null, fromArchive: boolean, points: Array<{ periodStart: string, asAt: string, gap: boolean, unaccounted: { value: number, byBasis: Array<{ basis: Basis, value: number, forces: number }> }, coverage: { forces: number, reporting: number, withheld: number, notHeld: number, unavailable: number, lowerBound: number, withoutFigure: number, stale: number, reportingForces: Array<{ id: string, name: string }> }, sources: Array<{ sourceId: string, title: string, url: string | null, simulated: boolean, forces: number }>, publishedTotals: Array<{ scope: string, measure: string, value: number, lowerBound: boolean, forcesResponded: number | null, forcesAsked: number | null, asAt: { date: string, precision: Precision } | null, source: { title: string, url: string | null } }> }> } };

export type SourcesStatusQueryVariables = Exact<{ [key: string]: never; }>;


export type SourcesStatusQuery = { sources: Array<{ id: string, kind: string, shape: string, title: string, simulated: boolean, state: SourceState, freshness: Freshness | null, ageSeconds: number | null, latencyMs: number | null, breaker: BreakerState, error: { code: string, message: string } | null }> };


export const FiguresChangedDocument = {"__meta__":{"hash":"sha256:bc48ca6f60ae922313490f4d48b70647a7da0b9e1a4b736f8785ff47e3f79e0f"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"FiguresChanged"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"forceIds"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"figuresChanged"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"forceIds"},"value":{"kind":"Variable","name":{"kind":"Name","value":"forceIds"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sourceId"}},{"kind":"Field","name":{"kind":"Name","value":"forceIds"}},{"kind":"Field","name":{"kind":"Name","value":"changedAt"}}]}}]}}]} as unknown as DocumentNode<FiguresChangedSubscription, FiguresChangedSubscriptionVariables>;
export const ForceHistoryDocument = {"__meta__":{"hash":"sha256:eb3167eda0f7e4a50368c2b1397c45c819daafc8f6a1f80954116d570977b816"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ForceHistory"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"from"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Date"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"to"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Date"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"force"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"history"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"from"},"value":{"kind":"Variable","name":{"kind":"Name","value":"from"}}},{"kind":"Argument","name":{"kind":"Name","value":"to"},"value":{"kind":"Variable","name":{"kind":"Name","value":"to"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"value"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"basis"}},{"kind":"Field","name":{"kind":"Name","value":"asAt"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"date"}},{"kind":"Field","name":{"kind":"Name","value":"precision"}}]}},{"kind":"Field","name":{"kind":"Name","value":"provenance"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sourceId"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"url"}},{"kind":"Field","name":{"kind":"Name","value":"simulated"}}]}}]}}]}}]}}]} as unknown as DocumentNode<ForceHistoryQuery, ForceHistoryQueryVariables>;
export const NationalLatestDocument = {"__meta__":{"hash":"sha256:fbdf9b91074bcb4bd7af341491ca3c56c08b37e6b82f8b59572d5d88b772b5b6"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"NationalLatest"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"asAt"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Date"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"windowDays"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"national"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"asAt"},"value":{"kind":"Variable","name":{"kind":"Name","value":"asAt"}}},{"kind":"Argument","name":{"kind":"Name","value":"windowDays"},"value":{"kind":"Variable","name":{"kind":"Name","value":"windowDays"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"asAt"}},{"kind":"Field","name":{"kind":"Name","value":"windowDays"}},{"kind":"Field","name":{"kind":"Name","value":"unaccounted"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"value"}},{"kind":"Field","name":{"kind":"Name","value":"byBasis"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"basis"}},{"kind":"Field","name":{"kind":"Name","value":"value"}},{"kind":"Field","name":{"kind":"Name","value":"forces"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"coverage"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"forces"}},{"kind":"Field","name":{"kind":"Name","value":"reporting"}},{"kind":"Field","name":{"kind":"Name","value":"withheld"}},{"kind":"Field","name":{"kind":"Name","value":"notHeld"}},{"kind":"Field","name":{"kind":"Name","value":"unavailable"}},{"kind":"Field","name":{"kind":"Name","value":"withoutFigure"}},{"kind":"Field","name":{"kind":"Name","value":"stale"}},{"kind":"Field","name":{"kind":"Name","value":"missing"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"force"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"outcome"}},{"kind":"Field","name":{"kind":"Name","value":"reason"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"publishedTotals"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"scope"}},{"kind":"Field","name":{"kind":"Name","value":"measure"}},{"kind":"Field","name":{"kind":"Name","value":"value"}},{"kind":"Field","name":{"kind":"Name","value":"forcesResponded"}},{"kind":"Field","name":{"kind":"Name","value":"forcesAsked"}},{"kind":"Field","name":{"kind":"Name","value":"asAt"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"date"}},{"kind":"Field","name":{"kind":"Name","value":"precision"}}]}},{"kind":"Field","name":{"kind":"Name","value":"source"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"url"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"forces"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"force"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"nation"}},{"kind":"Field","name":{"kind":"Name","value":"region"}}]}},{"kind":"Field","name":{"kind":"Name","value":"outcome"}},{"kind":"Field","name":{"kind":"Name","value":"stale"}},{"kind":"Field","name":{"kind":"Name","value":"figure"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"value"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"basis"}},{"kind":"Field","name":{"kind":"Name","value":"freshness"}},{"kind":"Field","name":{"kind":"Name","value":"ageSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"asAt"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"date"}},{"kind":"Field","name":{"kind":"Name","value":"precision"}}]}},{"kind":"Field","name":{"kind":"Name","value":"provenance"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sourceId"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"url"}},{"kind":"Field","name":{"kind":"Name","value":"retrievedAt"}},{"kind":"Field","name":{"kind":"Name","value":"simulated"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<NationalLatestQuery, NationalLatestQueryVariables>;
export const NationalSeriesDocument = {"__meta__":{"hash":"sha256:c912fd9cf7e387b2df9e12655483e7c20ce6e89abd4082fdbc4f58cfd4d790d5"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"NationalSeries"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"from"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Date"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"to"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Date"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"every"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"SeriesInterval"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"windowDays"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"knownAt"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"DateTime"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nationalSeries"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"from"},"value":{"kind":"Variable","name":{"kind":"Name","value":"from"}}},{"kind":"Argument","name":{"kind":"Name","value":"to"},"value":{"kind":"Variable","name":{"kind":"Name","value":"to"}}},{"kind":"Argument","name":{"kind":"Name","value":"every"},"value":{"kind":"Variable","name":{"kind":"Name","value":"every"}}},{"kind":"Argument","name":{"kind":"Name","value":"windowDays"},"value":{"kind":"Variable","name":{"kind":"Name","value":"windowDays"}}},{"kind":"Argument","name":{"kind":"Name","value":"knownAt"},"value":{"kind":"Variable","name":{"kind":"Name","value":"knownAt"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"from"}},{"kind":"Field","name":{"kind":"Name","value":"to"}},{"kind":"Field","name":{"kind":"Name","value":"every"}},{"kind":"Field","name":{"kind":"Name","value":"windowDays"}},{"kind":"Field","name":{"kind":"Name","value":"knownAt"}},{"kind":"Field","name":{"kind":"Name","value":"fromArchive"}},{"kind":"Field","name":{"kind":"Name","value":"points"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"periodStart"}},{"kind":"Field","name":{"kind":"Name","value":"asAt"}},{"kind":"Field","name":{"kind":"Name","value":"gap"}},{"kind":"Field","name":{"kind":"Name","value":"unaccounted"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"value"}},{"kind":"Field","name":{"kind":"Name","value":"byBasis"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"basis"}},{"kind":"Field","name":{"kind":"Name","value":"value"}},{"kind":"Field","name":{"kind":"Name","value":"forces"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"coverage"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"forces"}},{"kind":"Field","name":{"kind":"Name","value":"reporting"}},{"kind":"Field","name":{"kind":"Name","value":"withheld"}},{"kind":"Field","name":{"kind":"Name","value":"notHeld"}},{"kind":"Field","name":{"kind":"Name","value":"unavailable"}},{"kind":"Field","name":{"kind":"Name","value":"lowerBound"}},{"kind":"Field","name":{"kind":"Name","value":"withoutFigure"}},{"kind":"Field","name":{"kind":"Name","value":"stale"}},{"kind":"Field","name":{"kind":"Name","value":"reportingForces"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"sources"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sourceId"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"url"}},{"kind":"Field","name":{"kind":"Name","value":"simulated"}},{"kind":"Field","name":{"kind":"Name","value":"forces"}}]}},{"kind":"Field","name":{"kind":"Name","value":"publishedTotals"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"scope"}},{"kind":"Field","name":{"kind":"Name","value":"measure"}},{"kind":"Field","name":{"kind":"Name","value":"value"}},{"kind":"Field","name":{"kind":"Name","value":"lowerBound"}},{"kind":"Field","name":{"kind":"Name","value":"forcesResponded"}},{"kind":"Field","name":{"kind":"Name","value":"forcesAsked"}},{"kind":"Field","name":{"kind":"Name","value":"asAt"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"date"}},{"kind":"Field","name":{"kind":"Name","value":"precision"}}]}},{"kind":"Field","name":{"kind":"Name","value":"source"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"url"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<NationalSeriesQuery, NationalSeriesQueryVariables>;
export const SourcesStatusDocument = {"__meta__":{"hash":"sha256:632fc8db92d9fc238e0611d4a7732693de175d0304defd8c8352f32a7c67c98b"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SourcesStatus"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sources"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"shape"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"simulated"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"freshness"}},{"kind":"Field","name":{"kind":"Name","value":"ageSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"latencyMs"}},{"kind":"Field","name":{"kind":"Name","value":"breaker"}},{"kind":"Field","name":{"kind":"Name","value":"error"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<SourcesStatusQuery, SourcesStatusQueryVariables>;