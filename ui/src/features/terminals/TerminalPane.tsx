import CloseIcon from '@mui/icons-material/Close';
import FullscreenIcon from '@mui/icons-material/Fullscreen';
import FullscreenExitIcon from '@mui/icons-material/FullscreenExit';
import MoreVertIcon from '@mui/icons-material/MoreVert';
import PlayArrowIcon from '@mui/icons-material/PlayArrow';
import ReplayIcon from '@mui/icons-material/Replay';
import SearchIcon from '@mui/icons-material/Search';
import SettingsIcon from '@mui/icons-material/Settings';
import StopIcon from '@mui/icons-material/Stop';
import TerminalIcon from '@mui/icons-material/Terminal';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import CircularProgress from '@mui/material/CircularProgress';
import IconButton from '@mui/material/IconButton';
import InputBase from '@mui/material/InputBase';
import ListItemIcon from '@mui/material/ListItemIcon';
import Menu from '@mui/material/Menu';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { useTheme } from '@mui/material/styles';
import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import { NetworkBadge } from '../../components/NetworkBadge';
import { StateChip } from '../../components/StateChip';
import { newShell, restartAgent, startSandbox, stopSandbox } from '../../state/actions';
import { usePanes, type Pane } from '../../state/panes';
import { usePaddock } from '../../state/store';
import { useUi } from '../../state/ui';
import type { Cell } from './grid-layout';
import type { ConnectionState } from './terminal-connection';
import type { XtermSession } from './xterm-session';
import { lazyRetry } from '../../app/lazy-retry';

const XtermHost = lazy(() => lazyRetry(() => import('./XtermHost')));

export const PANE_HEADER_HEIGHT = 40;

export function TerminalPane({ pane, cell, visible, focused }: { pane: Pane; cell: Cell | null; visible: boolean; focused: boolean }) {
  const sandbox = usePaddock((s) => s.sandboxes[pane.sandbox]);
  const agentTitle = usePaddock((s) => s.agents.find((a) => a.name === sandbox?.agent)?.title);
  const { focus, close, toggleMaximized, maximized } = usePanes();
  const openSettings = useUi((s) => s.openSettings);
  const mode = useTheme().palette.mode;
  const sessionRef = useRef<XtermSession | null>(null);
  const [conn, setConn] = useState<ConnectionState>({ kind: 'connecting', attempt: 0 });
  const [searchOpen, setSearchOpen] = useState(false);
  const [query, setQuery] = useState('');
  const [menu, setMenu] = useState<HTMLElement | null>(null);
  const running = sandbox?.state === 'running';
  const isMax = maximized === pane.id;
  const isAgent = pane.session === 'agent';
  const workspace = sandbox?.workspace.replace(/\/+$/, '').split('/').pop() ?? '';

  // The agent's exit reaches us on its terminal, not as a sandbox event: put it in the store so the
  // state chips here and on the Workspaces page say "agent exited" at a glance (and "running" again after a restart).
  useEffect(() => {
    if (!isAgent || !sandbox || sandbox.state !== 'running') return;
    if (conn.kind === 'exited' && (sandbox.agentState !== 'exited' || sandbox.agentExitCode !== conn.code)) {
      usePaddock.getState().upsertSandbox({ ...sandbox, agentState: 'exited', agentExitCode: conn.code });
    } else if (conn.kind === 'open' && sandbox.agentState === 'exited') {
      usePaddock.getState().upsertSandbox({ ...sandbox, agentState: 'running', agentExitCode: null });
    }
  }, [conn, isAgent, sandbox]);

  return (
    <Paper
      variant="outlined"
      data-testid={`pane-${pane.id}`}
      data-sandbox={pane.sandbox}
      data-conn={conn.kind}
      onFocusCapture={() => focus(pane.id)}
      onMouseDown={() => focus(pane.id)}
      sx={{
        display: visible ? 'flex' : 'none',
        flexDirection: 'column',
        minWidth: 0,
        minHeight: 0,
        overflow: 'hidden',
        gridRow: cell ? `${cell.row} / span ${cell.rowSpan}` : undefined,
        gridColumn: cell ? `${cell.col} / span ${cell.colSpan}` : undefined,
        borderColor: focused ? 'primary.main' : 'divider',
      }}
    >
      <Box sx={{ height: PANE_HEADER_HEIGHT, flexShrink: 0, display: 'flex', alignItems: 'center', gap: 0.75, px: 1, borderBottom: 1, borderColor: 'divider', minWidth: 0 }}>
        <TerminalIcon fontSize="small" color={focused ? 'primary' : 'action'} />
        <Box sx={{ minWidth: 0, flex: 1, overflow: 'hidden', whiteSpace: 'nowrap', textOverflow: 'ellipsis' }} title={`${pane.sandbox} — ${sandbox?.workspace ?? ''}`}>
          <Typography component="span" sx={{ fontWeight: 600 }}>
            {isAgent ? (agentTitle ?? sandbox?.agent ?? pane.title) : pane.title}
          </Typography>
          <Typography component="span" variant="body2" color="text.secondary" sx={{ ml: 1 }}>
            {pane.sandbox}
            {workspace && ` · ${workspace}`}
          </Typography>
        </Box>
        {sandbox && <StateChip sandbox={sandbox} />}
        {sandbox && <NetworkBadge sandbox={sandbox} />}
        {running ? (
          <Tooltip title="Stop sandbox">
            <IconButton size="small" aria-label={`Stop ${pane.sandbox}`} onClick={() => void stopSandbox(pane.sandbox)} data-testid={`pane-stop-${pane.sandbox}`}>
              <StopIcon fontSize="small" />
            </IconButton>
          </Tooltip>
        ) : (
          <Tooltip title="Start sandbox">
            <span>
              <IconButton size="small" aria-label={`Start ${pane.sandbox}`} disabled={!sandbox} onClick={() => void startSandbox(pane.sandbox)}>
                <PlayArrowIcon fontSize="small" />
              </IconButton>
            </span>
          </Tooltip>
        )}
        <Tooltip title="Settings">
          <IconButton size="small" aria-label={`Settings of ${pane.sandbox}`} onClick={() => openSettings(pane.sandbox)} data-testid={`pane-settings-${pane.sandbox}`}>
            <SettingsIcon fontSize="small" />
          </IconButton>
        </Tooltip>
        <Tooltip title={isMax ? 'Restore' : 'Maximise'}>
          <IconButton size="small" aria-label={isMax ? 'Restore pane' : 'Maximise pane'} onClick={() => toggleMaximized(pane.id)} data-testid={`pane-maximise-${pane.id}`}>
            {isMax ? <FullscreenExitIcon fontSize="small" /> : <FullscreenIcon fontSize="small" />}
          </IconButton>
        </Tooltip>
        <IconButton size="small" aria-label="More actions" onClick={(e) => setMenu(e.currentTarget)} data-testid={`pane-menu-${pane.id}`}>
          <MoreVertIcon fontSize="small" />
        </IconButton>
        <Menu anchorEl={menu} open={Boolean(menu)} onClose={() => setMenu(null)}>
          <MenuItem
            disabled={!running}
            onClick={() => {
              setMenu(null);
              void newShell(pane.sandbox);
            }}
            data-testid={`pane-new-shell-${pane.sandbox}`}
          >
            <ListItemIcon>
              <TerminalIcon fontSize="small" />
            </ListItemIcon>
            New shell in this sandbox
          </MenuItem>
          <MenuItem
            disabled={!running}
            onClick={() => {
              setMenu(null);
              void restartAgent(pane.sandbox);
            }}
          >
            <ListItemIcon>
              <ReplayIcon fontSize="small" />
            </ListItemIcon>
            Restart agent
          </MenuItem>
          <MenuItem
            onClick={() => {
              setMenu(null);
              setSearchOpen(true);
            }}
          >
            <ListItemIcon>
              <SearchIcon fontSize="small" />
            </ListItemIcon>
            Find… (Ctrl+Shift+F)
          </MenuItem>
          <MenuItem
            onClick={() => {
              setMenu(null);
              close(pane.id);
            }}
          >
            <ListItemIcon>
              <CloseIcon fontSize="small" />
            </ListItemIcon>
            Close pane (keeps running)
          </MenuItem>
        </Menu>
      </Box>
      {searchOpen && (
        <Box sx={{ display: 'flex', alignItems: 'center', px: 1, borderBottom: 1, borderColor: 'divider', height: 32, flexShrink: 0 }}>
          <InputBase
            autoFocus
            fullWidth
            placeholder="Find — Enter: next, Shift+Enter: previous, Esc: close"
            value={query}
            onChange={(e) => {
              setQuery(e.target.value);
              sessionRef.current?.findNext(e.target.value);
            }}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                if (e.shiftKey) sessionRef.current?.findPrevious(query);
                else sessionRef.current?.findNext(query);
              } else if (e.key === 'Escape') {
                setSearchOpen(false);
                sessionRef.current?.clearSearch();
                sessionRef.current?.focus();
              }
            }}
            inputProps={{ 'aria-label': 'Find in terminal' }}
            sx={{ fontSize: 13 }}
          />
        </Box>
      )}
      <Box sx={{ position: 'relative', flex: 1, minHeight: 0 }}>
        <Suspense fallback={<Centered>Loading terminal…</Centered>}>
          <XtermHost
            id={pane.id}
            sandbox={pane.sandbox}
            session={pane.session}
            visible={visible}
            running={running}
            mode={mode}
            onState={setConn}
            onFind={() => setSearchOpen(true)}
            sessionRef={sessionRef}
          />
        </Suspense>
        <PaneOverlay pane={pane} conn={conn} running={running} exists={Boolean(sandbox)} sessionRef={sessionRef} />
      </Box>
    </Paper>
  );
}

function PaneOverlay({ pane, conn, running, exists, sessionRef }: { pane: Pane; conn: ConnectionState; running: boolean; exists: boolean; sessionRef: React.RefObject<XtermSession | null> }) {
  const close = usePanes((s) => s.close);
  let body: React.ReactNode = null;
  if (!exists) {
    body = (
      <>
        <Typography>This sandbox no longer exists.</Typography>
        <Button size="small" onClick={() => close(pane.id)}>
          Close pane
        </Button>
      </>
    );
  } else if (!running) {
    body = (
      <>
        <Typography>This sandbox is not running.</Typography>
        <Button size="small" variant="contained" startIcon={<PlayArrowIcon />} onClick={() => void startSandbox(pane.sandbox)}>
          Start it
        </Button>
      </>
    );
  } else if (conn.kind === 'exited') {
    body = (
      <>
        <Typography data-testid={`pane-exited-${pane.id}`}>
          {pane.session === 'agent' ? 'The agent' : 'The shell'} exited{conn.code === null ? '' : ` with code ${conn.code}`}.
        </Typography>
        <Button size="small" variant="contained" startIcon={<ReplayIcon />} onClick={() => sessionRef.current?.restartAgent()} data-testid={`pane-restart-${pane.id}`}>
          Restart
        </Button>
      </>
    );
  } else if (conn.kind === 'reconnecting') {
    body = (
      <>
        <CircularProgress size={16} />
        <Typography>Connection lost; retrying in {Math.ceil(conn.inMs / 1000)} s…</Typography>
        <Button size="small" onClick={() => sessionRef.current?.retryNow()}>
          Retry now
        </Button>
      </>
    );
  } else if (conn.kind === 'failed') {
    body = (
      <>
        <Typography>{conn.message}</Typography>
        <Button size="small" onClick={() => sessionRef.current?.retryNow()}>
          Try again
        </Button>
        <Button size="small" onClick={() => close(pane.id)}>
          Close pane
        </Button>
      </>
    );
  } else if (conn.kind === 'connecting') {
    body = (
      <>
        <CircularProgress size={16} />
        <Typography>Connecting…</Typography>
      </>
    );
  }
  if (!body) return null;
  // Exited output stays readable: the notice sits at the bottom instead of covering the screen.
  const bottom = conn.kind === 'exited' && running;
  return (
    <Box
      role="status"
      sx={{
        position: 'absolute',
        // above xterm's own layers (its link layer canvas and helper textarea use z-index up to 5),
        // or they swallow clicks on the notice's buttons
        zIndex: 10,
        left: 0,
        right: 0,
        ...(bottom ? { bottom: 0 } : { top: 0, bottom: 0 }),
        display: 'flex',
        alignItems: 'center',
        justifyContent: 'center',
        gap: 1.5,
        p: 1.5,
        flexWrap: 'wrap',
        bgcolor: (t) => (t.palette.mode === 'dark' ? 'rgba(27,28,31,0.88)' : 'rgba(255,255,255,0.9)'),
      }}
    >
      {body}
    </Box>
  );
}

function Centered({ children }: { children: React.ReactNode }) {
  return <Box sx={{ position: 'absolute', inset: 0, display: 'grid', placeItems: 'center', color: 'text.secondary' }}>{children}</Box>;
}
