/** The `strom` command line, also reachable from an app file through `app.main()`. */
export { runCli } from './cli.js';
export { loadApp } from './load-app.js';
