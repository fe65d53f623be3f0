/**
 * The Bedrock Converse client dialect (`POST /bedrock/model/{modelId}/converse` and
 * `/converse-stream`), as the AWS SDK's Bedrock Runtime client speaks it with `endpoint` pointed at
 * the gateway. The server passes a ConverseCall (model id and stream from the URL, plus the body)
 * to parseRequest; ConverseStream answers are binary event-stream frames.
 */
import type { ClientDialect } from '../client-dialect.js';
import { createConverseStreamEncoder } from './encode-converse-stream.js';
import { formatConverseError } from './format-converse-error.js';
import { formatConverseResponse } from './format-converse-response.js';
import { parseConverseRequest } from './parse-converse-request.js';

export type { ConverseCall } from './parse-converse-request.js';
export { loadConverseCodec } from './encode-converse-stream.js';

export const bedrockConverseDialect: ClientDialect = {
  id: 'bedrock-converse',
  parseRequest: parseConverseRequest,
  formatResponse: (response) => formatConverseResponse(response),
  createStreamEncoder: createConverseStreamEncoder,
  formatError: formatConverseError,
  streamContentType: 'application/vnd.amazon.eventstream',
};
