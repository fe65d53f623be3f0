/** /api/models and /api/models/{name}: model aliases (targets, deadline, hedging). */
import { MODELS_KIND } from '../../control/entity-kinds.js';
import { entityResource } from './entity-resource.js';

export const modelsResource = entityResource(MODELS_KIND);
