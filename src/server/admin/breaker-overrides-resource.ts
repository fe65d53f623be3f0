/**
 * /api/breaker-overrides and /api/breaker-overrides/{target}: targets ("provider/model", sent
 * URL-encoded: mock%2Fgpt-4o-mini) or whole providers taken out of rotation by hand. A store
 * entity like any other, so every replica follows it and each change is a config revision;
 * DELETE puts the target back.
 */
import { BREAKER_OVERRIDES_KIND } from '../../control/entity-kinds.js';
import { entityResource } from './entity-resource.js';

export const breakerOverridesResource = entityResource(BREAKER_OVERRIDES_KIND);
