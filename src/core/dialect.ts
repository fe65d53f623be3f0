/** Wire dialects a client can speak, and that a provider may speak natively. */
export type DialectId = 'openai-chat' | 'anthropic-messages' | 'openai-responses' | 'gemini' | 'bedrock-converse';

/** What a request record names as its API: a chat dialect, or the OpenAI embeddings endpoint. */
export type ApiId = DialectId | 'openai-embeddings';
