import type { CallerResolver } from '../../src/access/caller';

/**
 * Every caller is an analyst, without credentials: for tests of behaviour that does not depend on access
 * control. A test resolver, so it lives with the tests and never ships in `src/`.
 */
export const openAccess: CallerResolver = async () => ({ keyId: null, role: 'analyst', via: 'open-access' });
