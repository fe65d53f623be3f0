/** The SHA-256 of a virtual key's secret, as stored and compared (hex). */
import { createHash } from 'node:crypto';

export function sha256Hex(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
