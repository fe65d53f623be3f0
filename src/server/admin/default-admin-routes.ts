/** The config resources of the admin API; a new entity kind adds its resource file here. */
import type { AdminRoute } from './admin-http.js';
import { breakerOverridesResource } from './breaker-overrides-resource.js';
import { configResource } from './config-resource.js';
import { modelsResource } from './models-resource.js';
import { providersResource } from './providers-resource.js';

export const DEFAULT_ADMIN_ROUTES: readonly AdminRoute[] = [...providersResource, ...modelsResource, ...breakerOverridesResource, ...configResource];
