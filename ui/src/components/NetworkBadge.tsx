import PublicIcon from '@mui/icons-material/Public';
import PublicOffIcon from '@mui/icons-material/PublicOff';
import ShieldIcon from '@mui/icons-material/Shield';
import Chip from '@mui/material/Chip';
import Tooltip from '@mui/material/Tooltip';
import type { SandboxInfo } from '../core';

const text = {
  none: 'No network at all',
  allowlist: 'Only allowed hosts, through the egress proxy',
  open: 'Open internet access',
} as const;

export function NetworkBadge({ sandbox }: { sandbox: Pick<SandboxInfo, 'name' | 'network' | 'allowHosts'> }) {
  const { network } = sandbox;
  const icon = network === 'none' ? <PublicOffIcon /> : network === 'open' ? <PublicIcon /> : <ShieldIcon />;
  const detail = network === 'allowlist' ? `${text.allowlist}: ${sandbox.allowHosts.length ? sandbox.allowHosts.join(', ') : 'none yet'}` : text[network];
  return (
    <Tooltip title={detail}>
      <Chip
        size="small"
        variant="outlined"
        icon={icon}
        label={network === 'allowlist' ? `allowlist · ${sandbox.allowHosts.length}` : network}
        color={network === 'open' ? 'warning' : 'default'}
        data-testid={`network-${sandbox.name}`}
        data-network={network}
      />
    </Tooltip>
  );
}
