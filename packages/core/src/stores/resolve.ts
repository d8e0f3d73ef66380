import { join } from 'node:path';
import { ConfigError } from '../errors/errors.js';
import { MemoryStore } from './memory-store.js';
import type { Store } from './types.js';

/** The Store for a table: one given directly, or one of the named kinds. */
export function resolveStore(
  spec: 'memory' | 'rocksdb' | Store,
  options: { stateDir: string; appId: string },
): Store {
  if (typeof spec !== 'string') return spec;
  if (spec === 'memory') return new MemoryStore();
  throw new ConfigError(
    `store "${spec}" is not available in this build; use "memory" (dir would be ${join(options.stateDir, options.appId)})`,
  );
}
