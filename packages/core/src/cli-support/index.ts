/**
 * What the `strom` CLI (@strom/cli) needs of @strom/core beyond the public API: finding the app
 * an app file constructed, the worker banner, and settings, codec, name and table-key helpers.
 * Not for apps: it changes with the CLI.
 *
 * @example
 * import { constructedApps, setCliLoading } from '@strom/core/cli-support'
 */
import type { App } from '../app/app.js';
import { registeredApps } from '../app/cli-bridge.js';

export { setCliLoading } from '../app/cli-bridge.js';

/** Apps constructed in this process (the CLI picks the one an app file created). */
export function constructedApps(): readonly App[] {
  return registeredApps() as readonly App[];
}

export { parseBrokers } from '../app/settings.js';
export { resolveCodec } from '../codecs/codecs.js';
export { closestName, normalizeName } from '../errors/closest-name.js';
export { describeError } from '../errors/errors.js';
export { formatLogLine } from '../logging/pretty.js';
export { parseKeyParam } from '../web/table-key.js';
export { decodeWindowedKey } from '../windows/index.js';
export { formatBanner } from '../worker/banner.js';
