#!/usr/bin/env node
// The strom command. tsx is registered first so `-A app.ts` loads TypeScript app files directly.
import { existsSync } from 'node:fs';
import { register } from 'tsx/esm/api';

register();
const built = new URL('../dist/main.js', import.meta.url);
await import(existsSync(built) ? built.href : new URL('../src/main.ts', import.meta.url).href);
