import BuildIcon from '@mui/icons-material/Build';
import RocketLaunchIcon from '@mui/icons-material/RocketLaunch';
import SmartToyOutlinedIcon from '@mui/icons-material/SmartToyOutlined';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardActions from '@mui/material/CardActions';
import CardContent from '@mui/material/CardContent';
import Chip from '@mui/material/Chip';
import LinearProgress from '@mui/material/LinearProgress';
import Skeleton from '@mui/material/Skeleton';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { EmptyState } from '../../components/EmptyState';
import type { AgentInfo, ImageState } from '../../core';
import { buildAgent } from '../../state/actions';
import { usePaddock } from '../../state/store';
import { useUi } from '../../state/ui';

const imageLabel: Record<ImageState, { label: string; color: 'default' | 'info' | 'success' | 'error' }> = {
  absent: { label: 'not built', color: 'default' },
  building: { label: 'building…', color: 'info' },
  ready: { label: 'ready', color: 'success' },
  failed: { label: 'build failed', color: 'error' },
};

export function AgentsView() {
  const agents = usePaddock((s) => s.agents);
  const loaded = usePaddock((s) => s.loaded);
  return (
    <Stack spacing={2} data-testid="agents-view">
      <Typography variant="h1">Agents</Typography>
      <Typography color="text.secondary">
        Each agent runs from its own image, built locally on first use. Build ahead of time to make the first launch quick.
      </Typography>
      {!loaded ? (
        <Skeleton variant="rounded" height={180} />
      ) : agents.length === 0 ? (
        <EmptyState icon={<SmartToyOutlinedIcon />} title="No agents">
          paddockd reported no agents. Check its log.
        </EmptyState>
      ) : (
        <Box sx={{ display: 'grid', gap: 2, gridTemplateColumns: 'repeat(auto-fill, minmax(280px, 1fr))' }}>
          {agents.map((a) => (
            <AgentCard key={a.name} agent={a} />
          ))}
        </Box>
      )}
    </Stack>
  );
}

function AgentCard({ agent }: { agent: AgentInfo }) {
  const progress = usePaddock((s) => s.imageProgress[agent.name]);
  const openLaunch = useUi((s) => s.openLaunch);
  const st = imageLabel[agent.imageState];
  const building = agent.imageState === 'building';
  return (
    <Card data-testid={`agent-${agent.name}`} sx={{ display: 'flex', flexDirection: 'column' }}>
      <CardContent sx={{ flex: 1 }}>
        <Stack direction="row" alignItems="center" spacing={1} sx={{ mb: 1 }}>
          <Typography variant="h3" sx={{ flex: 1 }}>
            {agent.title}
          </Typography>
          {agent.custom && <Chip size="small" label="custom" variant="outlined" />}
          <Chip size="small" label={st.label} color={st.color} data-testid={`image-state-${agent.name}`} data-state={agent.imageState} />
        </Stack>
        <Typography variant="body2" color="text.secondary" sx={{ minHeight: 40 }}>
          {agent.description}
        </Typography>
        {/* Fixed height: the card must not jump when a build starts or ends. */}
        <Box sx={{ height: 28, mt: 1 }}>
          {building && (
            <>
              <LinearProgress />
              <Typography
                variant="caption"
                component="div"
                data-testid={`image-progress-${agent.name}`}
                sx={{ fontFamily: 'monospace', whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis', color: 'text.secondary' }}
                title={progress}
              >
                {progress ?? 'starting…'}
              </Typography>
            </>
          )}
        </Box>
      </CardContent>
      <CardActions>
        <Button size="small" startIcon={<BuildIcon />} disabled={building} onClick={() => void buildAgent(agent.name)} data-testid={`build-${agent.name}`}>
          {agent.imageState === 'ready' ? 'Rebuild' : 'Build image'}
        </Button>
        <Box sx={{ flex: 1 }} />
        <Button size="small" variant="contained" startIcon={<RocketLaunchIcon />} onClick={() => openLaunch({ agent: agent.name })} data-testid={`launch-agent-card-${agent.name}`}>
          Launch
        </Button>
      </CardActions>
    </Card>
  );
}
