import Chip from '@mui/material/Chip';
import type { SandboxInfo } from '../core';

type Color = 'default' | 'success' | 'warning' | 'error' | 'info';

/** One glance: running / stopped / exited / error. The agent's exit beats "running". */
export function sandboxStatus(s: Pick<SandboxInfo, 'state' | 'agentState' | 'agentExitCode'>): { label: string; color: Color } {
  switch (s.state) {
    case 'running':
      if (s.agentState === 'exited') return { label: `agent exited${s.agentExitCode === null ? '' : ` (${s.agentExitCode})`}`, color: 'warning' };
      return { label: 'running', color: 'success' };
    case 'creating':
    case 'restarting':
      return { label: s.state, color: 'info' };
    case 'removing':
      return { label: 'removing', color: 'default' };
    case 'stopped':
    case 'paused':
      return { label: s.state, color: 'default' };
    case 'dead':
    case 'error':
      return { label: s.state, color: 'error' };
  }
}

export function StateChip({ sandbox }: { sandbox: Pick<SandboxInfo, 'name' | 'state' | 'agentState' | 'agentExitCode'> }) {
  const st = sandboxStatus(sandbox);
  return <Chip size="small" label={st.label} color={st.color} variant={st.color === 'default' ? 'outlined' : 'filled'} data-testid={`state-${sandbox.name}`} data-state={sandbox.state} />;
}
