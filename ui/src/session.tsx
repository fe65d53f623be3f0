/** The signed-in session: the token (sessionStorage) and what it may do. */
import { createContext, useContext } from 'react';
import type { Role } from './api';

export interface SessionValue {
  role: Role;
  canWrite: boolean;
  signOut(message?: string): void;
}

export const SessionContext = createContext<SessionValue>({ role: 'read', canWrite: false, signOut: () => {} });

export function useSession(): SessionValue {
  return useContext(SessionContext);
}
