/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "subscription FiguresChanged($forceIds: [ID!]) {\n  figuresChanged(forceIds: $forceIds) {\n    sourceId\n    forceIds\n    changedAt\n  }\n}": typeof types.FiguresChangedDocument,
    "query ForceHistory($id: ID!, $from: Date, $to: Date) {\n  force(id: $id) {\n    id\n    name\n    history(from: $from, to: $to) {\n      value\n      status\n      basis\n      asAt {\n        date\n        precision\n      }\n      provenance {\n        sourceId\n        title\n        url\n        simulated\n      }\n    }\n  }\n}": typeof types.ForceHistoryDocument,
    "query NationalLatest($asAt: Date, $windowDays: Int) {\n  national(asAt: $asAt, windowDays: $windowDays) {\n    name\n    asAt\n    windowDays\n    unaccounted {\n      value\n      byBasis {\n        basis\n        value\n        forces\n      }\n    }\n    coverage {\n      forces\n      reporting\n      withheld\n      notHeld\n      unavailable\n      withoutFigure\n      stale\n      missing {\n        force {\n          id\n          name\n        }\n        outcome\n        reason {\n          code\n          message\n        }\n      }\n    }\n    publishedTotals {\n      scope\n      measure\n      value\n      forcesResponded\n      forcesAsked\n      asAt {\n        date\n        precision\n      }\n      source {\n        title\n        url\n      }\n    }\n    forces {\n      force {\n        id\n        name\n        nation\n        region\n      }\n      outcome\n      stale\n      figure {\n        value\n        status\n        basis\n        freshness\n        ageSeconds\n        asAt {\n          date\n          precision\n        }\n        provenance {\n          sourceId\n          title\n          url\n          retrievedAt\n          simulated\n        }\n      }\n    }\n  }\n}": typeof types.NationalLatestDocument,
    "query SourcesStatus {\n  sources {\n    id\n    kind\n    shape\n    title\n    simulated\n    state\n    freshness\n    ageSeconds\n    latencyMs\n    breaker\n    error {\n      code\n      message\n    }\n  }\n}": typeof types.SourcesStatusDocument,
};
const documents: Documents = {
    "subscription FiguresChanged($forceIds: [ID!]) {\n  figuresChanged(forceIds: $forceIds) {\n    sourceId\n    forceIds\n    changedAt\n  }\n}": types.FiguresChangedDocument,
    "query ForceHistory($id: ID!, $from: Date, $to: Date) {\n  force(id: $id) {\n    id\n    name\n    history(from: $from, to: $to) {\n      value\n      status\n      basis\n      asAt {\n        date\n        precision\n      }\n      provenance {\n        sourceId\n        title\n        url\n        simulated\n      }\n    }\n  }\n}": types.ForceHistoryDocument,
    "query NationalLatest($asAt: Date, $windowDays: Int) {\n  national(asAt: $asAt, windowDays: $windowDays) {\n    name\n    asAt\n    windowDays\n    unaccounted {\n      value\n      byBasis {\n        basis\n        value\n        forces\n      }\n    }\n    coverage {\n      forces\n      reporting\n      withheld\n      notHeld\n      unavailable\n      withoutFigure\n      stale\n      missing {\n        force {\n          id\n          name\n        }\n        outcome\n        reason {\n          code\n          message\n        }\n      }\n    }\n    publishedTotals {\n      scope\n      measure\n      value\n      forcesResponded\n      forcesAsked\n      asAt {\n        date\n        precision\n      }\n      source {\n        title\n        url\n      }\n    }\n    forces {\n      force {\n        id\n        name\n        nation\n        region\n      }\n      outcome\n      stale\n      figure {\n        value\n        status\n        basis\n        freshness\n        ageSeconds\n        asAt {\n          date\n          precision\n        }\n        provenance {\n          sourceId\n          title\n          url\n          retrievedAt\n          simulated\n        }\n      }\n    }\n  }\n}": types.NationalLatestDocument,
    "query SourcesStatus {\n  sources {\n    id\n    kind\n    shape\n    title\n    simulated\n    state\n    freshness\n    ageSeconds\n    latencyMs\n    breaker\n    error {\n      code\n      message\n    }\n  }\n}": types.SourcesStatusDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription FiguresChanged($forceIds: [ID!]) {\n  figuresChanged(forceIds: $forceIds) {\n    sourceId\n    forceIds\n    changedAt\n  }\n}"): (typeof documents)["subscription FiguresChanged($forceIds: [ID!]) {\n  figuresChanged(forceIds: $forceIds) {\n    sourceId\n    forceIds\n    changedAt\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ForceHistory($id: ID!, $from: Date, $to: Date) {\n  force(id: $id) {\n    id\n    name\n    history(from: $from, to: $to) {\n      value\n      status\n      basis\n      asAt {\n        date\n        precision\n      }\n      provenance {\n        sourceId\n        title\n        url\n        simulated\n      }\n    }\n  }\n}"): (typeof documents)["query ForceHistory($id: ID!, $from: Date, $to: Date) {\n  force(id: $id) {\n    id\n    name\n    history(from: $from, to: $to) {\n      value\n      status\n      basis\n      asAt {\n        date\n        precision\n      }\n      provenance {\n        sourceId\n        title\n        url\n        simulated\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query NationalLatest($asAt: Date, $windowDays: Int) {\n  national(asAt: $asAt, windowDays: $windowDays) {\n    name\n    asAt\n    windowDays\n    unaccounted {\n      value\n      byBasis {\n        basis\n        value\n        forces\n      }\n    }\n    coverage {\n      forces\n      reporting\n      withheld\n      notHeld\n      unavailable\n      withoutFigure\n      stale\n      missing {\n        force {\n          id\n          name\n        }\n        outcome\n        reason {\n          code\n          message\n        }\n      }\n    }\n    publishedTotals {\n      scope\n      measure\n      value\n      forcesResponded\n      forcesAsked\n      asAt {\n        date\n        precision\n      }\n      source {\n        title\n        url\n      }\n    }\n    forces {\n      force {\n        id\n        name\n        nation\n        region\n      }\n      outcome\n      stale\n      figure {\n        value\n        status\n        basis\n        freshness\n        ageSeconds\n        asAt {\n          date\n          precision\n        }\n        provenance {\n          sourceId\n          title\n          url\n          retrievedAt\n          simulated\n        }\n      }\n    }\n  }\n}"): (typeof documents)["query NationalLatest($asAt: Date, $windowDays: Int) {\n  national(asAt: $asAt, windowDays: $windowDays) {\n    name\n    asAt\n    windowDays\n    unaccounted {\n      value\n      byBasis {\n        basis\n        value\n        forces\n      }\n    }\n    coverage {\n      forces\n      reporting\n      withheld\n      notHeld\n      unavailable\n      withoutFigure\n      stale\n      missing {\n        force {\n          id\n          name\n        }\n        outcome\n        reason {\n          code\n          message\n        }\n      }\n    }\n    publishedTotals {\n      scope\n      measure\n      value\n      forcesResponded\n      forcesAsked\n      asAt {\n        date\n        precision\n      }\n      source {\n        title\n        url\n      }\n    }\n    forces {\n      force {\n        id\n        name\n        nation\n        region\n      }\n      outcome\n      stale\n      figure {\n        value\n        status\n        basis\n        freshness\n        ageSeconds\n        asAt {\n          date\n          precision\n        }\n        provenance {\n          sourceId\n          title\n          url\n          retrievedAt\n          simulated\n        }\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query SourcesStatus {\n  sources {\n    id\n    kind\n    shape\n    title\n    simulated\n    state\n    freshness\n    ageSeconds\n    latencyMs\n    breaker\n    error {\n      code\n      message\n    }\n  }\n}"): (typeof documents)["query SourcesStatus {\n  sources {\n    id\n    kind\n    shape\n    title\n    simulated\n    state\n    freshness\n    ageSeconds\n    latencyMs\n    breaker\n    error {\n      code\n      message\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;