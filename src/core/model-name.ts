/**
 * Longest model name accepted: what a client sends as `model` (an alias or provider/model) and what
 * a config may name an alias. Longer names are refused with GW_ERR_INVALID_REQUEST: a name is copied
 * into response headers, logs and metrics labels, and clients refuse oversized headers.
 */
export const MAX_MODEL_NAME_LENGTH = 256;
