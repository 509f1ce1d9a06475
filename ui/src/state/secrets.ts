/** Stored secrets (names and scopes, never values), loaded when a page or form needs them. */
import { create } from 'zustand';
import type { SecretInfo } from '../core';
import { errorMessage, isUnauthorized } from '../transport/transport';
import { client, usePaddock } from './store';

interface SecretsState {
  list: SecretInfo[] | null;
  error: string | null;
  load(): Promise<void>;
}

export const useSecrets = create<SecretsState>()((set) => ({
  list: null,
  error: null,
  load: async () => {
    try {
      set({ list: await client().api.secrets(), error: null });
    } catch (e) {
      if (isUnauthorized(e)) usePaddock.getState().setUnauthorized();
      set({ error: errorMessage(e) });
    }
  },
}));
