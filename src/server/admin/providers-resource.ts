/** /api/providers and /api/providers/{name}: upstream providers. Keys are write-only (see entity-kinds.ts). */
import { PROVIDERS_KIND } from '../../control/entity-kinds.js';
import { entityResource } from './entity-resource.js';

export const providersResource = entityResource(PROVIDERS_KIND);
