import CloseIcon from '@mui/icons-material/Close';
import GridViewIcon from '@mui/icons-material/GridView';
import RocketLaunchIcon from '@mui/icons-material/RocketLaunch';
import TabIcon from '@mui/icons-material/Tab';
import TerminalIcon from '@mui/icons-material/Terminal';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import IconButton from '@mui/material/IconButton';
import Tab from '@mui/material/Tab';
import Tabs from '@mui/material/Tabs';
import ToggleButton from '@mui/material/ToggleButton';
import ToggleButtonGroup from '@mui/material/ToggleButtonGroup';
import Tooltip from '@mui/material/Tooltip';
import { useMemo, useRef, type KeyboardEvent, type PointerEvent } from 'react';
import { EmptyState } from '../../components/EmptyState';
import { usePanes, visiblePanes, type LayoutMode } from '../../state/panes';
import { usePaddock } from '../../state/store';
import { useUi } from '../../state/ui';
import { gridLayout, gridTemplate, SPLIT_KEY_STEP, splitFromPointer } from './grid-layout';
import { TerminalPane } from './TerminalPane';

export function TerminalsView() {
  const st = usePanes();
  const { panes, mru, mode, maximized, colSplit, rowSplit, setMode, focus, close, setSplit } = st;
  const sandboxes = usePaddock((s) => s.sandboxes);
  const openLaunch = useUi((s) => s.openLaunch);
  const visible = useMemo(() => visiblePanes({ panes, mru, mode, maximized }), [panes, mru, mode, maximized]);
  const layout = gridLayout(visible.length);
  const active = mru.find((id) => panes.some((p) => p.id === id)) ?? panes[0]?.id ?? false;
  const gridRef = useRef<HTMLDivElement>(null);

  if (panes.length === 0) {
    return (
      <EmptyState
        testId="terminals-empty"
        icon={<TerminalIcon />}
        title="No terminals open"
        action={
          <Button variant="contained" startIcon={<RocketLaunchIcon />} onClick={() => openLaunch()}>
            Launch an agent
          </Button>
        }
      >
        Launch an agent, or open the terminal of a running sandbox from the Workspaces page. Up to four sit side by side here.
      </EmptyState>
    );
  }

  const cellOf = new Map(visible.map((p, i) => [p.id, layout.cells[i] ?? null]));
  const dragSplit = (axis: 'col' | 'row') => (e: PointerEvent<HTMLDivElement>) => {
    const box = gridRef.current?.getBoundingClientRect();
    if (!box) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    const move = (ev: globalThis.PointerEvent) =>
      setSplit(axis, axis === 'col' ? splitFromPointer(ev.clientX, box.left, box.width) : splitFromPointer(ev.clientY, box.top, box.height));
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  };
  const keySplit = (axis: 'col' | 'row', value: number) => (e: KeyboardEvent) => {
    const dec = axis === 'col' ? 'ArrowLeft' : 'ArrowUp';
    const inc = axis === 'col' ? 'ArrowRight' : 'ArrowDown';
    if (e.key === dec || e.key === inc) {
      e.preventDefault();
      setSplit(axis, value + (e.key === inc ? SPLIT_KEY_STEP : -SPLIT_KEY_STEP));
    }
  };

  return (
    <Box data-testid="terminals-view" data-layout={mode} sx={{ display: 'flex', flexDirection: 'column', height: '100%', minHeight: 0 }}>
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, mb: 1, minHeight: 40 }}>
        <Tabs value={active} onChange={(_, id: string) => focus(id)} variant="scrollable" scrollButtons="auto" sx={{ flex: 1, minHeight: 40 }} aria-label="Open terminals">
          {panes.map((p) => (
            <Tab
              key={p.id}
              value={p.id}
              data-testid={`tab-${p.id}`}
              sx={{ minHeight: 40, py: 0, pr: 0.5 }}
              label={
                <Box sx={{ display: 'flex', alignItems: 'center', gap: 0.5 }}>
                  <Box component="span" sx={{ width: 8, height: 8, borderRadius: '50%', bgcolor: sandboxes[p.sandbox]?.state === 'running' ? 'success.main' : 'text.disabled' }} />
                  {p.sandbox}
                  {p.session !== 'agent' && ` · ${p.title}`}
                  <Box
                    component="span"
                    role="button"
                    tabIndex={-1}
                    aria-label={`Close ${p.sandbox} ${p.title}`}
                    onClick={(e) => {
                      e.stopPropagation();
                      close(p.id);
                    }}
                    sx={{ display: 'inline-flex', ml: 0.5, borderRadius: 1, '&:hover': { bgcolor: 'action.hover' } }}
                  >
                    <CloseIcon sx={{ fontSize: 16 }} />
                  </Box>
                </Box>
              }
            />
          ))}
        </Tabs>
        <ToggleButtonGroup size="small" exclusive value={mode} onChange={(_, m: LayoutMode | null) => m && setMode(m)} aria-label="Layout">
          <Tooltip title="Side by side (up to 2×2)">
            <ToggleButton value="grid" aria-label="Grid layout" data-testid="layout-grid">
              <GridViewIcon fontSize="small" />
            </ToggleButton>
          </Tooltip>
          <Tooltip title="Tabs, one at a time">
            <ToggleButton value="tabs" aria-label="Tabs layout" data-testid="layout-tabs">
              <TabIcon fontSize="small" />
            </ToggleButton>
          </Tooltip>
        </ToggleButtonGroup>
      </Box>
      <Box
        ref={gridRef}
        data-testid="terminal-grid"
        sx={{
          position: 'relative',
          flex: 1,
          minHeight: 0,
          display: 'grid',
          gap: 1,
          gridTemplateColumns: gridTemplate(layout.cols, colSplit),
          gridTemplateRows: gridTemplate(layout.rows, rowSplit),
        }}
      >
        {/* Every pane stays mounted (hidden ones with display:none) so switching layout never reconnects a terminal. */}
        {panes.map((p) => (
          <TerminalPane key={p.id} pane={p} cell={cellOf.get(p.id) ?? null} visible={cellOf.has(p.id)} focused={p.id === active && visible.length > 1} />
        ))}
        {layout.cols === 2 && (
          <Splitter axis="col" value={colSplit} onPointerDown={dragSplit('col')} onKeyDown={keySplit('col', colSplit)} />
        )}
        {layout.rows === 2 && <Splitter axis="row" value={rowSplit} onPointerDown={dragSplit('row')} onKeyDown={keySplit('row', rowSplit)} />}
      </Box>
    </Box>
  );
}

function Splitter({ axis, value, onPointerDown, onKeyDown }: { axis: 'col' | 'row'; value: number; onPointerDown: (e: PointerEvent<HTMLDivElement>) => void; onKeyDown: (e: KeyboardEvent) => void }) {
  const col = axis === 'col';
  return (
    <Box
      role="separator"
      tabIndex={0}
      aria-orientation={col ? 'vertical' : 'horizontal'}
      aria-valuenow={Math.round(value * 100)}
      aria-valuemin={20}
      aria-valuemax={80}
      aria-label={col ? 'Resize columns' : 'Resize rows'}
      data-testid={`splitter-${axis}`}
      onPointerDown={onPointerDown}
      onKeyDown={onKeyDown}
      sx={{
        position: 'absolute',
        zIndex: 2,
        ...(col
          ? { top: 0, bottom: 0, width: 8, left: `calc(${value * 100}% - 4px)`, cursor: 'col-resize' }
          : { left: 0, right: 0, height: 8, top: `calc(${value * 100}% - 4px)`, cursor: 'row-resize' }),
        '&:hover, &:focus-visible': { bgcolor: 'primary.main', opacity: 0.5, outline: 'none' },
      }}
    />
  );
}
