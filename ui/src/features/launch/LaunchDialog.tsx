import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Checkbox from '@mui/material/Checkbox';
import CircularProgress from '@mui/material/CircularProgress';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import FormControl from '@mui/material/FormControl';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormHelperText from '@mui/material/FormHelperText';
import FormLabel from '@mui/material/FormLabel';
import MenuItem from '@mui/material/MenuItem';
import Radio from '@mui/material/Radio';
import RadioGroup from '@mui/material/RadioGroup';
import Stack from '@mui/material/Stack';
import Switch from '@mui/material/Switch';
import TextField from '@mui/material/TextField';
import ToggleButton from '@mui/material/ToggleButton';
import ToggleButtonGroup from '@mui/material/ToggleButtonGroup';
import Typography from '@mui/material/Typography';
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { HostsField } from '../../components/HostsField';
import { HOST_GROUPS, type Isolation, type NetworkMode } from '../../core';
import { launchSandbox } from '../../state/actions';
import { SecretsField } from '../secrets/SecretsField';
import { usePaddock } from '../../state/store';
import { useUi, type LaunchPrefill } from '../../state/ui';
import { errorMessage, isUnauthorized } from '../../transport/transport';
import { hostsForAgentChange, initialLaunchValues, reusableSandbox, validateLaunch, type LaunchErrors, type LaunchValues } from './launch-form';

export const NETWORK_HELP: Record<NetworkMode, string> = {
  none: 'No network at all. Agents that call a model API will not work.',
  allowlist: 'Only the hosts below, through the egress proxy. Every request is checked and logged.',
  open: 'Unrestricted internet access. Private and metadata addresses stay blocked.',
};

const ISOLATION_TEXT: Record<Isolation, string> = {
  container: 'Container (hardened runc)',
  gvisor: 'gVisor (the agent never touches the host kernel)',
  microvm: 'MicroVM (Kata / Firecracker)',
};

const HOST_SUGGESTIONS = Object.values(HOST_GROUPS).flat();

export function LaunchDialog() {
  const prefill = useUi((s) => s.launch);
  const close = useUi((s) => s.closeLaunch);
  return (
    <Dialog open={prefill !== null} onClose={close} maxWidth="sm" fullWidth scroll="paper" aria-labelledby="launch-title">
      {prefill !== null && <LaunchForm prefill={prefill} onDone={close} />}
    </Dialog>
  );
}

function LaunchForm({ prefill, onDone }: { prefill: LaunchPrefill; onDone: () => void }) {
  const { agents, runtimes, workspaces } = usePaddock();
  const sandboxMap = usePaddock((s) => s.sandboxes);
  const sandboxes = useMemo(() => Object.values(sandboxMap), [sandboxMap]);
  const [v, setV] = useState<LaunchValues>(() =>
    (useUi.getState().drafts.launch as LaunchValues | undefined) ??
    initialLaunchValues({
      workspace: prefill.workspace ?? (workspaces.length === 1 ? workspaces[0]!.path : undefined),
      agent: agents.find((a) => a.name === prefill.agent),
      runtimes,
    }),
  );
  useEffect(() => useUi.getState().dropDraft('launch'), []);
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [serverError, setServerError] = useState<string | null>(null);
  const errorRef = useRef<HTMLDivElement>(null);
  // The form scrolls; an answer from paddockd at its bottom must not go unseen.
  useEffect(() => {
    if (serverError) errorRef.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [serverError]);
  const ctx = { agents, runtimes, sandboxes };
  const checked = submitted ? validateLaunch(v, ctx) : null;
  const errors: LaunchErrors = checked?.errors ?? {};
  const set = <K extends keyof LaunchValues>(k: K, val: LaunchValues[K]) => {
    setV((old) => ({ ...old, [k]: val }));
    setServerError(null);
  };
  const agent = agents.find((a) => a.name === v.agent);
  const existing = v.workspace && v.agent ? reusableSandbox(sandboxes, v.workspace, v.agent) : undefined;
  const dir = v.workspace.replace(/\/+$/, '').split('/').pop() ?? '';

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    const { request, errors: found } = validateLaunch(v, ctx);
    if (!request) {
      // Bring the first field with a problem into view (the form is taller than small windows).
      const first = Object.keys(found)[0];
      if (first) document.querySelector(`[data-field="${first}"]`)?.scrollIntoView({ block: 'center', behavior: 'smooth' });
      return;
    }
    setBusy(true);
    setServerError(null);
    try {
      await launchSandbox(request);
      onDone();
    } catch (err) {
      if (isUnauthorized(err)) usePaddock.getState().setUnauthorized();
      setServerError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Box component="form" onSubmit={submit} noValidate data-testid="launch-form" sx={{ display: 'contents' }}>
      <DialogTitle id="launch-title">Launch an agent</DialogTitle>
      <DialogContent dividers>
        <Stack spacing={2.5}>
          {workspaces.length === 0 && <Alert severity="info">Add a workspace folder on the Workspaces page first: the agent works in it.</Alert>}
          <TextField
            select
            label="Workspace"
            data-field="workspace"
            value={v.workspace}
            onChange={(e) => set('workspace', e.target.value)}
            error={Boolean(errors.workspace)}
            helperText={errors.workspace ?? 'Mounted into the sandbox at the same path.'}
            SelectProps={{ SelectDisplayProps: { 'data-testid': 'launch-workspace' } as object }}
          >
            {workspaces.map((w) => (
              <MenuItem key={w.path} value={w.path} sx={{ fontFamily: 'monospace' }}>
                {w.path}
              </MenuItem>
            ))}
          </TextField>
          <Stack direction="row" spacing={1.5} alignItems="flex-start">
            <TextField
              select
              label="Agent"
            data-field="agent"
              sx={{ flex: 1 }}
              value={v.agent}
              onChange={(e) => {
                const next = agents.find((a) => a.name === e.target.value);
                setV((old) => ({ ...old, agent: e.target.value, allowHosts: hostsForAgentChange(old.allowHosts, agent, next) }));
                setServerError(null);
              }}
              error={Boolean(errors.agent)}
              helperText={errors.agent ?? (agent && agent.imageState !== 'ready' ? 'Its image is built first; that can take a few minutes.' : ' ')}
              SelectProps={{ SelectDisplayProps: { 'data-testid': 'launch-agent' } as object }}
            >
              {agents.map((a) => (
                <MenuItem key={a.name} value={a.name} data-testid={`launch-agent-${a.name}`}>
                  {a.title}
                  <Typography component="span" variant="body2" color="text.secondary" sx={{ ml: 1 }}>
                    {a.imageState === 'ready' ? '' : a.imageState === 'building' ? '(building)' : '(image not built)'}
                  </Typography>
                </MenuItem>
              ))}
            </TextField>
            <TextField
              label="Name"
            data-field="name"
              sx={{ flex: 1 }}
              value={v.name}
              onChange={(e) => set('name', e.target.value)}
              placeholder={v.agent && dir ? `${v.agent}-${dir}` : 'chosen for you'}
              error={Boolean(errors.name)}
              helperText={errors.name ?? 'Optional. Leave empty for <agent>-<folder>.'}
              slotProps={{ htmlInput: { 'data-testid': 'launch-name', spellCheck: false } }}
            />
          </Stack>
          {existing && !v.name.trim() && (
            <Box>
              <Alert severity="info">
                <b>{existing.name}</b> already runs {agent?.title ?? v.agent} on this folder; launching opens it.
              </Alert>
              <FormControlLabel
                control={<Checkbox checked={v.createNew} onChange={(e) => set('createNew', e.target.checked)} />}
                label="Create another sandbox instead"
              />
            </Box>
          )}
          <FormControl error={Boolean(errors.isolation)} data-field="isolation">
            <FormLabel id="isolation-label">Isolation</FormLabel>
            <RadioGroup aria-labelledby="isolation-label" value={v.isolation} onChange={(e) => set('isolation', e.target.value as Isolation)}>
              {(runtimes.length ? runtimes : [{ isolation: 'container' as const, available: true, reason: null, runtime: null }]).map((r) => (
                <Box key={r.isolation}>
                  <FormControlLabel value={r.isolation} disabled={!r.available} control={<Radio size="small" />} label={ISOLATION_TEXT[r.isolation]} data-testid={`isolation-${r.isolation}`} />
                  {!r.available && r.reason && (
                    <Typography variant="body2" color="text.secondary" sx={{ ml: 4, mt: -0.75, mb: 0.5 }}>
                      Not available: {r.reason}
                    </Typography>
                  )}
                </Box>
              ))}
            </RadioGroup>
            {errors.isolation && <FormHelperText>{errors.isolation}</FormHelperText>}
          </FormControl>
          <NetworkFields
            network={v.network}
            hosts={v.allowHosts}
            onNetwork={(n) => set('network', n)}
            onHosts={(h) => set('allowHosts', h)}
            hostsError={errors.allowHosts}
            testPrefix="launch"
          />
          <SecretsField
            rows={v.secrets}
            onChange={(rows) => set('secrets', rows)}
            rowErrors={checked?.secretErrors}
            listError={errors.secrets && errors.secrets !== 'Fix the secrets marked below.' ? errors.secrets : null}
            agent={v.agent}
            sandbox={v.name.trim() || undefined}
            testPrefix="launch"
            onLeave={() => useUi.getState().saveDraft('launch', v)}
          />
          <Stack direction="row" spacing={1.5}>
            <TextField data-field="cpus" label="CPUs" value={v.cpus} onChange={(e) => set('cpus', e.target.value)} placeholder="default" error={Boolean(errors.cpus)} helperText={errors.cpus ?? 'e.g. 2 or 0.5'} sx={{ flex: 1 }} slotProps={{ htmlInput: { inputMode: 'decimal', 'data-testid': 'launch-cpus' } }} />
            <TextField data-field="memory" label="Memory" value={v.memory} onChange={(e) => set('memory', e.target.value)} placeholder="default" error={Boolean(errors.memory)} helperText={errors.memory ?? 'e.g. 4g or 512m'} sx={{ flex: 1 }} slotProps={{ htmlInput: { 'data-testid': 'launch-memory' } }} />
            <TextField data-field="pids" label="Processes" value={v.pids} onChange={(e) => set('pids', e.target.value)} placeholder="default" error={Boolean(errors.pids)} helperText={errors.pids ?? 'max pids, e.g. 512'} sx={{ flex: 1 }} slotProps={{ htmlInput: { inputMode: 'numeric', 'data-testid': 'launch-pids' } }} />
          </Stack>
          <FormControlLabel
            control={<Switch checked={v.autonomy} onChange={(e) => set('autonomy', e.target.checked)} data-testid="launch-autonomy" />}
            label={
              <Box>
                <Typography>Autonomous mode</Typography>
                <Typography variant="body2" color="text.secondary">
                  The agent runs without asking for permission; the sandbox is the boundary. Turn off to keep its own prompts.
                </Typography>
              </Box>
            }
          />
          {errors.form && <Alert severity="error">{errors.form}</Alert>}
          {serverError && (
            <Alert severity="error" data-testid="launch-error" ref={errorRef}>
              {serverError}
            </Alert>
          )}
        </Stack>
      </DialogContent>
      <DialogActions>
        {busy && (
          <Typography variant="body2" color="text.secondary" sx={{ mr: 'auto', ml: 1 }}>
            {agent && agent.imageState !== 'ready' ? 'Building the image, then starting…' : 'Starting the sandbox…'}
          </Typography>
        )}
        <Button onClick={onDone} disabled={busy}>
          Cancel
        </Button>
        <Button type="submit" variant="contained" disabled={busy} data-testid="launch-submit" startIcon={busy ? <CircularProgress size={16} color="inherit" /> : undefined}>
          Launch
        </Button>
      </DialogActions>
    </Box>
  );
}

/** Network mode + allowlist, shared by the launch form and the settings drawer. */
export function NetworkFields({
  network,
  hosts,
  onNetwork,
  onHosts,
  hostsError,
  testPrefix,
}: {
  network: NetworkMode;
  hosts: string[];
  onNetwork: (n: NetworkMode) => void;
  onHosts: (h: string[]) => void;
  hostsError?: string;
  testPrefix: string;
}) {
  return (
    <Stack spacing={1.5}>
      <FormControl>
        <FormLabel id={`${testPrefix}-network-label`} sx={{ mb: 0.5 }}>
          Network
        </FormLabel>
        <ToggleButtonGroup
          exclusive
          size="small"
          color="primary"
          value={network}
          onChange={(_, n: NetworkMode | null) => n && onNetwork(n)}
          aria-labelledby={`${testPrefix}-network-label`}
        >
          {(['none', 'allowlist', 'open'] as const).map((n) => (
            <ToggleButton key={n} value={n} data-testid={`${testPrefix}-network-${n}`} sx={{ px: 2 }}>
              {n === 'none' ? 'None' : n === 'allowlist' ? 'Allowlist' : 'Open'}
            </ToggleButton>
          ))}
        </ToggleButtonGroup>
        <FormHelperText>{NETWORK_HELP[network]}</FormHelperText>
      </FormControl>
      {network === 'allowlist' && (
        <Box data-field="allowHosts">
          <HostsField value={hosts} onChange={onHosts} error={hostsError} suggestions={HOST_SUGGESTIONS} testId={`${testPrefix}-hosts`} />
        </Box>
      )}
    </Stack>
  );
}
