/**
 * Imported first by the process entries (`index.ts`, `cli/main.ts`), before 'reflect-metadata' and every
 * dependency, so that an unsupported Node stops with a clear message (exit 78) instead of failing inside
 * whichever dependency first needs a newer one.
 */
import { exitUnlessSupportedRuntime } from './runtime';

exitUnlessSupportedRuntime();
