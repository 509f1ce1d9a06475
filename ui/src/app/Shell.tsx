import FolderIcon from '@mui/icons-material/Folder';
import GavelIcon from '@mui/icons-material/Gavel';
import HistoryIcon from '@mui/icons-material/History';
import KeyIcon from '@mui/icons-material/Key';
import RocketLaunchIcon from '@mui/icons-material/RocketLaunch';
import SmartToyIcon from '@mui/icons-material/SmartToy';
import TerminalIcon from '@mui/icons-material/Terminal';
import Alert from '@mui/material/Alert';
import Badge from '@mui/material/Badge';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import List from '@mui/material/List';
import ListItemButton from '@mui/material/ListItemButton';
import ListItemIcon from '@mui/material/ListItemIcon';
import ListItemText from '@mui/material/ListItemText';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import Skeleton from '@mui/material/Skeleton';
import { lazy, Suspense, useEffect } from 'react';
import { WorkspacesView } from '../features/workspaces/WorkspacesView';
import { usePanes } from '../state/panes';
import { usePaddock } from '../state/store';
import { useUi, viewFromHash, type View } from '../state/ui';
import { LoadErrorBoundary } from '../components/LoadErrorBoundary';
import { Toasts } from './Toasts';
import { lazyRetry } from './lazy-retry';

// The first screen is Workspaces; everything else (and the MUI parts only it uses) loads on demand.
const AgentsView = lazy(() => lazyRetry(() => import('../features/agents/AgentsView')).then((m) => ({ default: m.AgentsView })));
const TerminalsView = lazy(() => lazyRetry(() => import('../features/terminals/TerminalsView')).then((m) => ({ default: m.TerminalsView })));
const LaunchDialog = lazy(() => lazyRetry(() => import('../features/launch/LaunchDialog')).then((m) => ({ default: m.LaunchDialog })));
const SecretsView = lazy(() => lazyRetry(() => import('../features/secrets/SecretsView')).then((m) => ({ default: m.SecretsView })));
const PolicyView = lazy(() => lazyRetry(() => import('../features/policy/PolicyView')).then((m) => ({ default: m.PolicyView })));
const ActivityView = lazy(() => lazyRetry(() => import('../features/activity/ActivityView')).then((m) => ({ default: m.ActivityView })));
const SettingsDrawer = lazy(() => lazyRetry(() => import('../features/settings/SettingsDrawer')).then((m) => ({ default: m.SettingsDrawer })));

export const APP_BAR_HEIGHT = 56;
const NAV_WIDTH = 200;

const NAV: { view: View; label: string; icon: React.ReactNode }[] = [
  { view: 'workspaces', label: 'Workspaces', icon: <FolderIcon /> },
  { view: 'agents', label: 'Agents', icon: <SmartToyIcon /> },
  { view: 'terminals', label: 'Terminals', icon: <TerminalIcon /> },
  { view: 'secrets', label: 'Secrets', icon: <KeyIcon /> },
  { view: 'policy', label: 'Policy', icon: <GavelIcon /> },
  { view: 'activity', label: 'Activity', icon: <HistoryIcon /> },
];

export function Shell() {
  const { view, go, openLaunch, launch, settingsFor } = useUi();
  const paneCount = usePanes((s) => s.panes.length);
  const feed = usePaddock((s) => s.feed);
  const loadError = usePaddock((s) => s.loadError);

  useEffect(() => {
    const onHash = () => go(viewFromHash(location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [go]);

  return (
    <Box sx={{ height: '100vh', display: 'grid', gridTemplateRows: `${APP_BAR_HEIGHT}px 1fr`, gridTemplateColumns: `${NAV_WIDTH}px 1fr`, bgcolor: 'background.default' }}>
      <Box
        component="header"
        sx={{ gridColumn: '1 / -1', display: 'flex', alignItems: 'center', gap: 2, px: 2, borderBottom: 1, borderColor: 'divider', bgcolor: 'background.paper' }}
      >
        <Typography variant="h2" component="div" sx={{ fontWeight: 700, letterSpacing: 0.2 }}>
          Paddock
        </Typography>
        <Tooltip title={feed === 'live' ? 'Live updates from paddockd' : feed === 'connecting' ? 'Connecting to paddockd…' : 'paddockd is not reachable; retrying'}>
          <Box data-testid="feed-state" data-state={feed} sx={{ display: 'flex', alignItems: 'center', gap: 0.75, color: 'text.secondary', fontSize: 13 }}>
            <Box sx={{ width: 8, height: 8, borderRadius: '50%', bgcolor: feed === 'live' ? 'success.main' : feed === 'down' ? 'error.main' : 'warning.main' }} />
            {feed === 'live' ? 'live' : feed === 'down' ? 'offline' : 'connecting'}
          </Box>
        </Tooltip>
        <Box sx={{ flex: 1 }} />
        <Button variant="contained" startIcon={<RocketLaunchIcon />} onClick={() => openLaunch()} data-testid="new-sandbox">
          Launch agent
        </Button>
      </Box>
      <Box component="nav" aria-label="Sections" sx={{ borderRight: 1, borderColor: 'divider', bgcolor: 'background.paper' }}>
        <List dense sx={{ pt: 1 }}>
          {NAV.map((n) => (
            <ListItemButton key={n.view} selected={view === n.view} onClick={() => go(n.view)} data-testid={`nav-${n.view}`} aria-current={view === n.view ? 'page' : undefined}>
              <ListItemIcon sx={{ minWidth: 36 }}>
                {n.view === 'terminals' ? (
                  <Badge badgeContent={paneCount} color="primary">
                    {n.icon}
                  </Badge>
                ) : (
                  n.icon
                )}
              </ListItemIcon>
              <ListItemText primary={n.label} />
            </ListItemButton>
          ))}
        </List>
      </Box>
      <Box component="main" sx={{ minWidth: 0, minHeight: 0, overflow: view === 'terminals' ? 'hidden' : 'auto', p: 2, display: 'flex', flexDirection: 'column' }}>
        {loadError && (
          <Alert severity="error" sx={{ mb: 2 }} data-testid="load-error">
            {loadError}
          </Alert>
        )}
        {/* Terminals stay mounted while another page is shown, so their sockets and screens survive navigation. */}
        {(view === 'terminals' || paneCount > 0) && (
          <Box sx={{ display: view === 'terminals' ? 'flex' : 'none', flexDirection: 'column', flex: 1, minHeight: 0 }}>
            <LoadErrorBoundary what="terminals page">
              <Suspense fallback={<Skeleton variant="rounded" sx={{ flex: 1 }} />}>
                <TerminalsView />
              </Suspense>
            </LoadErrorBoundary>
          </Box>
        )}
        {view === 'workspaces' && <WorkspacesView />}
        {view !== 'workspaces' && view !== 'terminals' && (
          <LoadErrorBoundary key={view} what={`${view} page`}>
            <Suspense fallback={<Skeleton variant="rounded" height={180} />}>
              {view === 'agents' && <AgentsView />}
              {view === 'secrets' && <SecretsView />}
              {view === 'policy' && <PolicyView />}
              {view === 'activity' && <ActivityView />}
            </Suspense>
          </LoadErrorBoundary>
        )}
      </Box>
      <LoadErrorBoundary what="form" floating key={`${launch !== null}-${settingsFor ?? ''}`}>
        <Suspense fallback={null}>
          {launch !== null && <LaunchDialog />}
          {settingsFor !== null && <SettingsDrawer />}
        </Suspense>
      </LoadErrorBoundary>
      <Toasts />
    </Box>
  );
}
