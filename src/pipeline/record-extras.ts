/** The state slot where middleware leave fields for the request's record (cache outcome, ids …). */
import type { RequestRecord } from '../plugins/plugin.js';
import { stateKey } from './context.js';

export const RECORD_EXTRAS = stateKey<Partial<RequestRecord>>('record-extras');
