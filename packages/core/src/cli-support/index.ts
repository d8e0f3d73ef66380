/**
 * What the `strom` CLI (@strom/cli) needs of @strom/core beyond the public API: finding the app
 * an app file constructed, the worker banner, and settings, codec, name and table-key helpers.
 * Not for apps: it changes with the CLI.
 *
 * @example
 * import { constructedApps, setCliLoading } from '@strom/core/cli-support'
 */
export { constructedApps, setCliLoading } from '../app/cli-bridge.js';
export { parseBrokers } from '../app/settings.js';
export { resolveCodec } from '../codecs/codecs.js';
export { closestName, normalizeName } from '../errors/closest-name.js';
export { describeError } from '../errors/errors.js';
export { decodeWindowedKey } from '../windows/index.js';
export { formatBanner } from '../worker/banner.js';
