import { healthRoutes } from './health-routes.js';
import type { WebRoutes } from './web-server.js';

/** The routes every worker's web server has, before the app's own. */
export const BUILT_IN_ROUTES: readonly WebRoutes[] = [healthRoutes];
