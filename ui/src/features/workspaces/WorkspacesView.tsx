import AddIcon from '@mui/icons-material/Add';
import DeleteOutlineIcon from '@mui/icons-material/DeleteOutline';
import FolderOpenIcon from '@mui/icons-material/FolderOpen';
import FolderOutlinedIcon from '@mui/icons-material/FolderOutlined';
import PlayArrowIcon from '@mui/icons-material/PlayArrow';
import RocketLaunchIcon from '@mui/icons-material/RocketLaunch';
import SettingsIcon from '@mui/icons-material/Settings';
import StopIcon from '@mui/icons-material/Stop';
import TerminalIcon from '@mui/icons-material/Terminal';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import IconButton from '@mui/material/IconButton';
import Skeleton from '@mui/material/Skeleton';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { useMemo, useState, type FormEvent } from 'react';
import { EmptyState } from '../../components/EmptyState';
import { NetworkBadge } from '../../components/NetworkBadge';
import { StateChip } from '../../components/StateChip';
import type { SandboxInfo } from '../../core';
import { addWorkspace, openAgentPane, removeSandbox, removeWorkspace, startSandbox, stopSandbox } from '../../state/actions';
import { orphanSandboxes, sandboxesOf } from '../../state/reduce';
import { client, usePaddock } from '../../state/store';
import { useUi } from '../../state/ui';
import { errorMessage, isUnauthorized } from '../../transport/transport';

export function WorkspacesView() {
  const workspaces = usePaddock((s) => s.workspaces);
  const sandboxes = usePaddock((s) => s.sandboxes);
  const loaded = usePaddock((s) => s.loaded);
  const orphans = useMemo(() => orphanSandboxes({ sandboxes, workspaces }), [sandboxes, workspaces]);

  return (
    <Stack spacing={2} data-testid="workspaces-view">
      <Typography variant="h1">Workspaces</Typography>
      <AddWorkspace first={loaded && workspaces.length === 0} />
      {!loaded ? (
        <Skeleton variant="rounded" height={120} />
      ) : (
        <>
          {workspaces.length === 0 && (
            <EmptyState testId="workspaces-empty" icon={<FolderOutlinedIcon />} title="No workspaces yet">
              Add the folder of a project above. Paddock mounts it into each sandbox at the same path, so the agent works on your real
              files and nothing else of your machine.
            </EmptyState>
          )}
          {workspaces.map((w) => (
            <WorkspaceCard key={w.path} path={w.path} sandboxes={sandboxesOf({ sandboxes }, w.path)} />
          ))}
          {orphans.length > 0 && <WorkspaceCard path={null} sandboxes={orphans} />}
        </>
      )}
    </Stack>
  );
}

function AddWorkspace({ first }: { first: boolean }) {
  const [path, setPath] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const pickFolder = client().transport.pickFolder;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const p = path.trim();
    if (!p) return setError('Type the absolute path of a project folder, e.g. /home/you/src/project.');
    if (!p.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(p)) return setError('Use an absolute path (starting with /).');
    setBusy(true);
    try {
      await addWorkspace(p);
      setPath('');
      setError(null);
    } catch (err) {
      if (isUnauthorized(err)) usePaddock.getState().setUnauthorized();
      else setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card>
      <CardContent component="form" onSubmit={submit} noValidate sx={{ display: 'flex', gap: 1, alignItems: 'flex-start', '&:last-child': { pb: 2 } }}>
        <TextField
          fullWidth
          size="small"
          autoFocus={first}
          label="Add a workspace folder"
          placeholder="/home/you/src/project"
          value={path}
          onChange={(e) => {
            setPath(e.target.value);
            setError(null);
          }}
          error={Boolean(error)}
          helperText={error ?? 'The absolute path of a project folder on this machine.'}
          slotProps={{ htmlInput: { 'data-testid': 'workspace-path', spellCheck: false } }}
        />
        {pickFolder && (
          <Tooltip title="Choose a folder">
            <IconButton
              aria-label="Choose a folder"
              onClick={async () => {
                const p = await pickFolder();
                if (p) setPath(p);
              }}
            >
              <FolderOpenIcon />
            </IconButton>
          </Tooltip>
        )}
        <Button type="submit" variant="contained" startIcon={<AddIcon />} disabled={busy} data-testid="workspace-add" sx={{ flexShrink: 0, mt: '2px' }}>
          Add
        </Button>
      </CardContent>
    </Card>
  );
}

function WorkspaceCard({ path, sandboxes }: { path: string | null; sandboxes: SandboxInfo[] }) {
  const openLaunch = useUi((s) => s.openLaunch);
  return (
    <Card data-testid={path ? `workspace-${path}` : 'workspace-other'}>
      <CardContent sx={{ '&:last-child': { pb: 1 } }}>
        <Stack direction="row" alignItems="center" spacing={1} sx={{ mb: 1 }}>
          <FolderOutlinedIcon color="action" />
          <Typography variant="h3" sx={{ flex: 1, minWidth: 0, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap', fontFamily: path ? 'monospace' : undefined }} title={path ?? undefined}>
            {path ?? 'Sandboxes of other folders'}
          </Typography>
          {path && (
            <>
              <Button size="small" startIcon={<RocketLaunchIcon />} onClick={() => openLaunch({ workspace: path })} data-testid={`launch-in-${path}`}>
                Launch agent
              </Button>
              <Tooltip title="Remove from the list (sandboxes are kept)">
                <IconButton size="small" aria-label={`Remove workspace ${path}`} onClick={() => void removeWorkspace(path)} data-testid={`workspace-remove-${path}`}>
                  <DeleteOutlineIcon fontSize="small" />
                </IconButton>
              </Tooltip>
            </>
          )}
        </Stack>
        {sandboxes.length === 0 ? (
          <Typography color="text.secondary" sx={{ py: 1 }}>
            No sandboxes yet. Use <b>Launch agent</b> to start one on this folder.
          </Typography>
        ) : (
          <Box component="ul" sx={{ listStyle: 'none', m: 0, p: 0 }}>
            {sandboxes.map((s) => (
              <SandboxRow key={s.name} s={s} />
            ))}
          </Box>
        )}
      </CardContent>
    </Card>
  );
}

function SandboxRow({ s }: { s: SandboxInfo }) {
  const openSettings = useUi((u) => u.openSettings);
  const [confirm, setConfirm] = useState(false);
  const running = s.state === 'running';
  const agents = usePaddock((st) => st.agents);
  const title = agents.find((a) => a.name === s.agent)?.title ?? s.agent;
  return (
    <Box component="li" data-testid={`sandbox-row-${s.name}`} sx={{ display: 'flex', alignItems: 'center', gap: 1, py: 0.75, borderTop: 1, borderColor: 'divider', flexWrap: 'wrap' }}>
      <Box sx={{ flex: '1 1 200px', minWidth: 0 }}>
        <Typography sx={{ fontWeight: 500, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>{s.name}</Typography>
        <Typography variant="body2" color="text.secondary">
          {title} · {s.isolation}
        </Typography>
      </Box>
      <StateChip sandbox={s} />
      <NetworkBadge sandbox={s} />
      <Stack direction="row" spacing={0.5}>
        <Tooltip title="Open terminal">
          <span>
            <IconButton aria-label={`Open terminal of ${s.name}`} onClick={() => openAgentPane(s)} disabled={!running} data-testid={`open-${s.name}`}>
              <TerminalIcon />
            </IconButton>
          </span>
        </Tooltip>
        {running ? (
          <Tooltip title="Stop">
            <IconButton aria-label={`Stop ${s.name}`} onClick={() => void stopSandbox(s.name)} data-testid={`stop-${s.name}`}>
              <StopIcon />
            </IconButton>
          </Tooltip>
        ) : (
          <Tooltip title="Start">
            <IconButton aria-label={`Start ${s.name}`} onClick={() => void startSandbox(s.name)} data-testid={`start-${s.name}`}>
              <PlayArrowIcon />
            </IconButton>
          </Tooltip>
        )}
        <Tooltip title="Settings">
          <IconButton aria-label={`Settings of ${s.name}`} onClick={() => openSettings(s.name)} data-testid={`settings-${s.name}`}>
            <SettingsIcon />
          </IconButton>
        </Tooltip>
        <Tooltip title="Remove">
          <IconButton aria-label={`Remove ${s.name}`} onClick={() => setConfirm(true)} data-testid={`remove-${s.name}`}>
            <DeleteOutlineIcon />
          </IconButton>
        </Tooltip>
      </Stack>
      <Dialog open={confirm} onClose={() => setConfirm(false)}>
        <DialogTitle>Remove {s.name}?</DialogTitle>
        <DialogContent>
          <DialogContentText>
            The container, its network and its volumes (the agent's home, logins included) are deleted. Files in {s.workspace} are not touched.
          </DialogContentText>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setConfirm(false)}>Cancel</Button>
          <Button
            color="error"
            variant="contained"
            data-testid="confirm-remove"
            onClick={() => {
              setConfirm(false);
              void removeSandbox(s.name);
            }}
          >
            Remove
          </Button>
        </DialogActions>
      </Dialog>
    </Box>
  );
}
