/** Wire dialects a client can speak, and that a provider may speak natively. */
export type DialectId = 'openai-chat' | 'anthropic-messages';
