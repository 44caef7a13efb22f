import type { SourceKind } from '../config/schema';
import { csvAdapter } from './csv';
import type { SourceAdapter } from './fetch-context';
import { graphqlAdapter } from './graphql';
import { jsonAdapter } from './json';
import { spreadsheetAdapter } from './spreadsheet';

/** The adapter for each kind. Adding a kind means a folder with an adapter and a line here. */
export const ADAPTERS: Record<SourceKind, SourceAdapter> = {
  csv: csvAdapter,
  json: jsonAdapter,
  graphql: graphqlAdapter,
  spreadsheet: spreadsheetAdapter,
};
