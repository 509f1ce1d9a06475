import CloseIcon from '@mui/icons-material/Close';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Divider from '@mui/material/Divider';
import Drawer from '@mui/material/Drawer';
import IconButton from '@mui/material/IconButton';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useEffect, useState, type FormEvent } from 'react';
import { StateChip } from '../../components/StateChip';
import type { SandboxInfo } from '../../core';
import { restartSandbox, updateSandbox } from '../../state/actions';
import { notify, usePaddock } from '../../state/store';
import { useUi } from '../../state/ui';
import { errorMessage, isUnauthorized } from '../../transport/transport';
import { NetworkFields } from '../launch/LaunchDialog';
import { settingsFrom, settingsPatch, validateSettings, type SettingsValues } from './settings-form';

export function SettingsDrawer() {
  const name = useUi((s) => s.settingsFor);
  const close = useUi((s) => s.closeSettings);
  const sandbox = usePaddock((s) => (name ? s.sandboxes[name] : undefined));
  return (
    <Drawer anchor="right" open={Boolean(name)} onClose={close} PaperProps={{ sx: { width: { xs: '100%', sm: 460 } } }}>
      {name && !sandbox && (
        <Box sx={{ p: 3 }}>
          <Typography>The sandbox {name} no longer exists.</Typography>
          <Button onClick={close}>Close</Button>
        </Box>
      )}
      {sandbox && <SettingsForm key={sandbox.name} sandbox={sandbox} onClose={close} />}
    </Drawer>
  );
}

function SettingsForm({ sandbox, onClose }: { sandbox: SandboxInfo; onClose: () => void }) {
  const [v, setV] = useState<SettingsValues>(() => settingsFrom(sandbox));
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [serverError, setServerError] = useState<string | null>(null);
  const [restartNeeded, setRestartNeeded] = useState(false);
  const [saved, setSaved] = useState(false);
  const errors = submitted ? validateSettings(v) : {};
  const set = <K extends keyof SettingsValues>(k: K, val: SettingsValues[K]) => {
    setV((o) => ({ ...o, [k]: val }));
    setServerError(null);
    setSaved(false);
  };
  useEffect(() => setSaved(false), [sandbox.name]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (Object.keys(validateSettings(v)).length) return;
    const patch = settingsPatch(sandbox, v);
    if (!patch) {
      setSaved(true);
      return;
    }
    setBusy(true);
    try {
      const answer = await updateSandbox(sandbox.name, patch);
      setV(settingsFrom(answer.sandbox));
      setRestartNeeded(answer.restartRequired);
      setSaved(true);
      if (!answer.restartRequired) notify('success', `${sandbox.name}: settings applied.`);
    } catch (err) {
      if (isUnauthorized(err)) usePaddock.getState().setUnauthorized();
      setServerError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Box component="form" onSubmit={submit} noValidate data-testid="settings-drawer" sx={{ display: 'flex', flexDirection: 'column', height: '100%' }}>
      <Stack direction="row" alignItems="center" sx={{ px: 2, py: 1.5 }} spacing={1}>
        <Typography variant="h2" sx={{ flex: 1, minWidth: 0, overflow: 'hidden', textOverflow: 'ellipsis' }}>
          {sandbox.name}
        </Typography>
        <StateChip sandbox={sandbox} />
        <IconButton aria-label="Close settings" onClick={onClose} data-testid="settings-close">
          <CloseIcon />
        </IconButton>
      </Stack>
      <Divider />
      <Stack spacing={2.5} sx={{ p: 2, flex: 1, overflowY: 'auto' }}>
        <Box component="dl" sx={{ m: 0, display: 'grid', gridTemplateColumns: 'auto 1fr', columnGap: 2, rowGap: 0.5, '& dt': { color: 'text.secondary' }, '& dd': { m: 0, minWidth: 0, overflowWrap: 'anywhere' } }}>
          <dt>Agent</dt>
          <dd>{sandbox.agent}</dd>
          <dt>Workspace</dt>
          <dd style={{ fontFamily: 'monospace' }}>{sandbox.workspace}</dd>
          <dt>Isolation</dt>
          <dd>{sandbox.isolation}</dd>
          <dt>Autonomy</dt>
          <dd>{sandbox.autonomy ? 'on' : 'off'}</dd>
        </Box>
        <NetworkFields network={v.network} hosts={v.allowHosts} onNetwork={(n) => set('network', n)} onHosts={(h) => set('allowHosts', h)} hostsError={errors.allowHosts} testPrefix="settings" />
        <Typography variant="h3">Resources</Typography>
        <Stack direction="row" spacing={1.5}>
          <TextField label="CPUs" value={v.cpus} onChange={(e) => set('cpus', e.target.value)} error={Boolean(errors.cpus)} helperText={errors.cpus ?? ' '} sx={{ flex: 1 }} slotProps={{ htmlInput: { inputMode: 'decimal', 'data-testid': 'settings-cpus' } }} />
          <TextField label="Memory" value={v.memory} onChange={(e) => set('memory', e.target.value)} error={Boolean(errors.memory)} helperText={errors.memory ?? ' '} sx={{ flex: 1 }} slotProps={{ htmlInput: { 'data-testid': 'settings-memory' } }} />
          <TextField label="Processes" value={v.pids} onChange={(e) => set('pids', e.target.value)} error={Boolean(errors.pids)} helperText={errors.pids ?? ' '} sx={{ flex: 1 }} slotProps={{ htmlInput: { inputMode: 'numeric', 'data-testid': 'settings-pids' } }} />
        </Stack>
        {serverError && (
          <Alert severity="error" data-testid="settings-error">
            {serverError}
          </Alert>
        )}
        {restartNeeded && (
          <Alert
            severity="warning"
            data-testid="settings-restart-needed"
            action={
              <Button
                color="inherit"
                size="small"
                data-testid="settings-restart"
                onClick={async () => {
                  setBusy(true);
                  if (await restartSandbox(sandbox.name)) setRestartNeeded(false);
                  setBusy(false);
                }}
                disabled={busy}
              >
                Restart now
              </Button>
            }
          >
            Saved. Some changes apply only after a restart of the sandbox (the agent restarts too).
          </Alert>
        )}
        {saved && !restartNeeded && !serverError && (
          <Alert severity="success" data-testid="settings-saved">
            Settings are in effect.
          </Alert>
        )}
      </Stack>
      <Divider />
      <Stack direction="row" spacing={1} justifyContent="flex-end" sx={{ p: 1.5 }}>
        <Button onClick={onClose}>Close</Button>
        <Button type="submit" variant="contained" disabled={busy} data-testid="settings-save">
          Apply
        </Button>
      </Stack>
    </Box>
  );
}
