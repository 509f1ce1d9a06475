import CloseIcon from '@mui/icons-material/Close';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import CircularProgress from '@mui/material/CircularProgress';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import Divider from '@mui/material/Divider';
import Drawer from '@mui/material/Drawer';
import IconButton from '@mui/material/IconButton';
import Skeleton from '@mui/material/Skeleton';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { StateChip } from '../../components/StateChip';
import type { SandboxInfo, SecretAttachment } from '../../core';
import { rowFrom, sameAttachments, validateRows, type AttachmentRow } from '../secrets/secrets-form';
import { SecretsField } from '../secrets/SecretsField';
import { recreateSandbox, restartSandbox, updateSandbox } from '../../state/actions';
import { client, notify, reportError, usePaddock } from '../../state/store';
import { useUi } from '../../state/ui';
import { errorMessage, isUnauthorized } from '../../transport/transport';
import { NetworkFields } from '../launch/LaunchDialog';
import { restartToApply, settingsFrom, settingsPatch, validateSettings, type SettingsValues } from './settings-form';

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
  // A draft left for the Secrets page comes back: the drawer loses nothing typed.
  const [draft] = useState(() => useUi.getState().drafts[`settings:${sandbox.name}`] as { v: SettingsValues; rows: AttachmentRow[] } | undefined);
  useEffect(() => useUi.getState().dropDraft(`settings:${sandbox.name}`), [sandbox.name]);
  const [v, setV] = useState<SettingsValues>(() => draft?.v ?? settingsFrom(sandbox));
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [serverError, setServerError] = useState<string | null>(null);
  // What a saved change still waits for (a restart, a recreate): kept in the UI store, so closing
  // and reopening the drawer still says so and offers it.
  const pendingApply = useUi((st) => st.pending[sandbox.name]);
  const setPending = useUi((st) => st.setPending);
  const restartReasons = pendingApply?.restartReasons ?? [];
  const recreateNeeded = pendingApply?.recreate ?? false;
  const setRestartReasons = (r: string[]) => setPending(sandbox.name, { restartReasons: r, recreate: useUi.getState().pending[sandbox.name]?.recreate ?? false });
  const [confirmRecreate, setConfirmRecreate] = useState(false);
  const [saved, setSaved] = useState(false);
  // Attached secrets: loaded from paddockd, edited here, sent with PUT only when they changed.
  const [secretsLoaded, setSecretsLoaded] = useState<SecretAttachment[] | null>(null);
  const [secretsLoadError, setSecretsLoadError] = useState<string | null>(null);
  const [rows, setRows] = useState<AttachmentRow[]>([]);
  useEffect(() => {
    client()
      .api.sandboxSecrets(sandbox.name)
      .then(
        (r) => {
          setSecretsLoaded(r.secrets);
          setRows(draft?.rows ?? r.secrets.map(rowFrom));
        },
        (e: unknown) => setSecretsLoadError(errorMessage(e)),
      );
  }, [sandbox.name]);

  const errors = submitted ? validateSettings(v) : {};
  const secretCheck = submitted ? validateRows(rows, v.network) : null;
  const set = <K extends keyof SettingsValues>(k: K, val: SettingsValues[K]) => {
    setV((o) => ({ ...o, [k]: val }));
    setServerError(null);
    setSaved(false);
  };
  // The form scrolls: the outcome of Apply (an error, "restart needed") must not land unseen below the fold.
  const outcomeRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (serverError || saved || restartReasons.length || recreateNeeded) {
      const el = outcomeRef.current?.parentElement?.lastElementChild;
      el?.scrollIntoView({ block: 'nearest' });
    }
  }, [serverError, saved, restartReasons.length, recreateNeeded]);
  const pending = Object.keys(validateSettings(v)).length ? null : settingsPatch(sandbox, v);
  const withRestart = restartToApply(sandbox, pending);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (Object.keys(validateSettings(v)).length) return;
    const attachments = validateRows(rows, v.network).attachments;
    if (!attachments) return;
    const patch = settingsPatch(sandbox, v);
    const secretsChanged = secretsLoaded !== null && !sameAttachments(secretsLoaded, attachments);
    if (!patch && !secretsChanged) {
      setSaved(true);
      return;
    }
    setBusy(true);
    setServerError(null);
    try {
      // still pending from an earlier save, unless this one restarted the sandbox
      let reasons: string[] = restartReasons;
      if (patch) {
        const withRestartNow = restartToApply(sandbox, patch);
        const answer = await updateSandbox(sandbox.name, patch, withRestartNow);
        setV(settingsFrom(answer.sandbox));
        if (withRestartNow) reasons = [];
        if (answer.restartRequired) reasons = [...new Set([...reasons, ...(answer.restartReasons.length ? answer.restartReasons : ['paddockd says this change applies after a restart.'])])];
      }
      let recreate = recreateNeeded;
      if (secretsChanged) {
        const r = await client().api.setSandboxSecrets(sandbox.name, attachments);
        setSecretsLoaded(r.secrets);
        setRows(r.secrets.map(rowFrom));
        recreate = recreate || r.recreateRequired;
      }
      setPending(sandbox.name, { restartReasons: reasons, recreate });
      setSaved(true);
      if (!reasons.length && !recreate) notify('success', `${sandbox.name}: settings applied.`);
    } catch (err) {
      if (isUnauthorized(err)) usePaddock.getState().setUnauthorized();
      setServerError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const recreate = async () => {
    setConfirmRecreate(false);
    setBusy(true);
    setServerError(null);
    try {
      await recreateSandbox(sandbox, secretsLoaded ?? []);
      setPending(sandbox.name, { restartReasons: [], recreate: false });
    } catch (err) {
      // the drawer may show "no longer exists" by now: say it in a toast too
      reportError(err);
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
        {withRestart && (
          <Alert severity="info" data-testid="settings-restart-hint">
            gVisor cannot change CPU, memory or process limits while the sandbox runs. Apply restarts it (the agent restarts too).
          </Alert>
        )}
        {secretsLoadError ? (
          <Alert severity="error">Could not load the secrets attached to {sandbox.name}: {secretsLoadError}</Alert>
        ) : secretsLoaded === null ? (
          <Skeleton variant="rounded" height={56} />
        ) : (
          <SecretsField
            rows={rows}
            onChange={(r) => {
              setRows(r);
              setServerError(null);
              setSaved(false);
            }}
            rowErrors={secretCheck?.rowErrors}
            listError={secretCheck?.listError}
            agent={sandbox.agent}
            sandbox={sandbox.name}
            testPrefix="settings"
            onLeave={() => useUi.getState().saveDraft(`settings:${sandbox.name}`, { v, rows })}
          />
        )}
        <Box ref={outcomeRef} sx={{ display: 'contents' }} />
        {serverError && (
          <Alert severity="error" data-testid="settings-error">
            {serverError}
          </Alert>
        )}
        {restartReasons.length > 0 && (
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
                  if (await restartSandbox(sandbox.name)) setRestartReasons([]);
                  setBusy(false);
                }}
                disabled={busy}
              >
                Restart now
              </Button>
            }
          >
            Saved. {restartReasons.join(' ')} Restarting stops and starts the sandbox (the agent restarts too).
          </Alert>
        )}
        {recreateNeeded && (
          <Alert
            severity="warning"
            data-testid="settings-recreate-needed"
            action={
              <Button color="inherit" size="small" data-testid="settings-recreate" onClick={() => setConfirmRecreate(true)} disabled={busy}>
                Recreate…
              </Button>
            }
          >
            Saved. Secrets in env and proxy mode live in the container’s environment, which is fixed when a sandbox is created: they reach{' '}
            {sandbox.name} when it is recreated. File-mode changes are in effect now.
          </Alert>
        )}
        {saved && !restartReasons.length && !recreateNeeded && !serverError && (
          <Alert severity="success" data-testid="settings-saved">
            Settings are in effect.
          </Alert>
        )}
      </Stack>
      <Divider />
      <Stack direction="row" spacing={1} justifyContent="flex-end" sx={{ p: 1.5 }}>
        <Button onClick={onClose}>Close</Button>
        <Button type="submit" variant="contained" disabled={busy} data-testid="settings-save" startIcon={busy ? <CircularProgress size={16} color="inherit" /> : undefined}>
          {withRestart ? 'Apply and restart' : 'Apply'}
        </Button>
      </Stack>
      <Dialog open={confirmRecreate} onClose={() => setConfirmRecreate(false)} maxWidth="xs" fullWidth>
        <DialogTitle>Recreate {sandbox.name}?</DialogTitle>
        <DialogContent>
          <DialogContentText>
            Paddock removes the sandbox and creates it again with the same settings and secrets. Your workspace is not touched. The agent’s home
            folder starts fresh (shell history, and its login unless the agent’s login is shared on the Secrets page).
          </DialogContentText>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setConfirmRecreate(false)}>Cancel</Button>
          <Button variant="contained" color="warning" onClick={() => void recreate()} data-testid="confirm-recreate">
            Recreate
          </Button>
        </DialogActions>
      </Dialog>
    </Box>
  );
}
