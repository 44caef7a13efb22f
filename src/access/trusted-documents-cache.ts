import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import type { ApprovedOperations } from './approved-operations';

/**
 * Apollo's persisted-query cache, read-only and filled from the trusted-documents manifest. APQ alone is
 * no safelist (any client could register any query by hash); with this cache nothing can be registered,
 * and a hash resolves only to an approved document.
 */
export class TrustedDocumentsCache implements KeyValueCache<string> {
  constructor(private readonly approved: ApprovedOperations) {}

  async get(key: string): Promise<string | undefined> {
    // Apollo prefixes APQ keys with "apq:".
    return this.approved.bySha256(key.replace(/^apq:/, ''))?.document;
  }

  async set(): Promise<void> {
    // Registration is refused by design: documents are approved in schema/operations/, not at run time.
  }

  async delete(): Promise<boolean> {
    return false;
  }
}
