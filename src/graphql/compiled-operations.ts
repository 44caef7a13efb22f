import type { DocumentNode, ExecutionResult, GraphQLSchema, ValidationRule } from 'graphql';
import { execute, getOperationAST, parse, specifiedRules, validate } from 'graphql';
import type { CompiledQuery } from 'graphql-jit';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import { LRUCache } from 'lru-cache';
import { introspects } from './access.plugin';

/**
 * A document the request path may run itself: parsed, validated (the spec's rules plus the gateway's limits)
 * once, a query (not a mutation or subscription), not introspection. Anything else is `null`, and the
 * request goes the full way through Apollo, which answers it (with its errors) exactly as it always has.
 */
export interface PreparedOperation {
  readonly document: DocumentNode;
  /** The operation's name, or null when anonymous. */
  readonly operationName: string | null;
  /** Runs the operation: graphql-js until the document has been seen `jitAfter` times, then graphql-jit. */
  run(contextValue: unknown, variables: Record<string, unknown> | undefined): Promise<ExecutionResult>;
}

/** What the compiler needs to validate exactly as Apollo does. */
export interface OperationCompilerOptions {
  /** Validation rules added to graphql-js' `specifiedRules` (graphql-armor's limits). */
  readonly validationRules: readonly ValidationRule[];
  /** Parser token limit (Apollo's `parseOptions.maxTokens`). */
  readonly maxTokens: number;
  /**
   * Runs of a document after which it is compiled with graphql-jit (compiling costs a few ms, so a
   * one-off query is cheaper through graphql-js; a polled one pays once). @default 2
   */
  readonly jitAfter?: number;
  /** Most characters of document text held by the cache. @default 4,000,000 */
  readonly maxCachedChars?: number;
}

/** A cached outcome: a prepared operation, or `null` when Apollo must run this document. */
type Entry = { prepared: PreparedOperation | null };

/**
 * Cached parse, validation and compilation of GraphQL documents, keyed by document text and operation
 * name (a bounded LRU of text size), so a document polled all day is parsed, validated and compiled once.
 */
export class OperationCompiler {
  private readonly cache: LRUCache<string, Entry>;
  private readonly rules: readonly ValidationRule[];
  private readonly jitAfter: number;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly options: OperationCompilerOptions,
  ) {
    this.rules = [...specifiedRules, ...options.validationRules];
    this.jitAfter = options.jitAfter ?? 2;
    this.cache = new LRUCache<string, Entry>({
      maxSize: options.maxCachedChars ?? 4_000_000,
      sizeCalculation: (_entry, key) => Math.max(1, key.length),
    });
  }

  /** The prepared operation for `query` (and `operationName`), or null when Apollo must run it. */
  prepare(query: string, operationName: string | undefined): PreparedOperation | null {
    const key = operationName === undefined ? `\n${query}` : `${operationName}\n${query}`;
    let entry = this.cache.get(key);
    if (!entry) {
      entry = { prepared: this.build(query, operationName) };
      this.cache.set(key, entry);
    }
    return entry.prepared;
  }

  private build(query: string, operationName: string | undefined): PreparedOperation | null {
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens: this.options.maxTokens });
    } catch {
      return null;
    }
    if (validate(this.schema, document, this.rules).length > 0) return null;
    const operation = getOperationAST(document, operationName);
    if (!operation || operation.operation !== 'query' || introspects(document)) return null;
    const { schema, jitAfter } = this;
    let runs = 0;
    let compiled: CompiledQuery | null = null;
    let jitUnavailable = false;
    return {
      document,
      operationName: operation.name?.value ?? null,
      async run(contextValue, variables) {
        runs += 1;
        if (!compiled && !jitUnavailable && runs > jitAfter) {
          const result = compileQuery(schema, document, operationName, {
            disablingCapturingStackErrors: true,
          });
          if (isCompiledQuery(result)) compiled = result;
          else jitUnavailable = true; // graphql-js stays correct for what graphql-jit cannot compile
        }
        if (compiled) return compiled.query(undefined, contextValue, variables);
        return execute({ schema, document, operationName, contextValue, variableValues: variables });
      },
    };
  }
}
