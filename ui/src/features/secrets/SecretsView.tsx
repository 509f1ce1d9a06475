/** Stored secrets: add, replace and delete (values are write-only), and shared agent logins. */
import DeleteOutlineIcon from '@mui/icons-material/DeleteOutline';
import EditIcon from '@mui/icons-material/Edit';
import KeyIcon from '@mui/icons-material/Key';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import CircularProgress from '@mui/material/CircularProgress';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import FormControlLabel from '@mui/material/FormControlLabel';
import IconButton from '@mui/material/IconButton';
import MenuItem from '@mui/material/MenuItem';
import Skeleton from '@mui/material/Skeleton';
import Stack from '@mui/material/Stack';
import Switch from '@mui/material/Switch';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { EmptyState } from '../../components/EmptyState';
import type { PutSecretResult, SecretInfo } from '../../core';
import type { SharedLogins } from '../../state/api';
import { useSecrets } from '../../state/secrets';
import { client, notify, reportError, usePaddock } from '../../state/store';
import { errorMessage, isUnauthorized } from '../../transport/transport';
import { describeScope, emptyStore, validateStore, type ScopeKind, type StoreErrors, type StoreValues } from './secrets-form';

export function SecretsView() {
  const { list, error, load } = useSecrets();
  const [editing, setEditing] = useState<{ name: string; scope: string; seq: number } | null>(null);
  const [removing, setRemoving] = useState<SecretInfo | null>(null);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <Stack spacing={2} data-testid="secrets-view" sx={{ maxWidth: 980 }}>
      <Box>
        <Typography variant="h1">Secrets</Typography>
        <Typography color="text.secondary" sx={{ mt: 0.5 }}>
          API keys and tokens for your agents, encrypted by paddockd. Values go in and never come back out: not here, not in logs, not in
          the audit log. Attach them to a sandbox when you launch it or in its settings.
        </Typography>
      </Box>
      <StoreForm editing={editing} onSaved={() => void load()} />
      <Card variant="outlined">
        <CardContent>
          <Typography variant="h3" sx={{ mb: 1 }}>
            Stored secrets
          </Typography>
          {error && (
            <Alert severity="error" action={<Button color="inherit" size="small" onClick={() => void load()}>Retry</Button>}>
              {error}
            </Alert>
          )}
          {!list && !error && <Skeleton variant="rounded" height={80} />}
          {list && list.length === 0 && (
            <EmptyState testId="secrets-empty" icon={<KeyIcon />} title="No secrets stored yet">
              Store an API key above (for example ANTHROPIC_API_KEY), then attach it when you launch an agent. In proxy mode the agent only
              ever sees a placeholder.
            </EmptyState>
          )}
          {list && list.length > 0 && (
            <Table size="small" data-testid="secrets-table">
              <TableHead>
                <TableRow>
                  <TableCell>Name</TableCell>
                  <TableCell>Scope</TableCell>
                  <TableCell>Updated</TableCell>
                  <TableCell align="right">Actions</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {list.map((s) => (
                  <TableRow key={`${s.name}@${s.scope}`} data-testid={`secret-row-${s.name}`} data-scope={s.scope}>
                    <TableCell sx={{ fontFamily: 'monospace' }}>{s.name}</TableCell>
                    <TableCell>
                      <Tooltip title={s.scope}>
                        <span>{describeScope(s.scope)}</span>
                      </Tooltip>
                    </TableCell>
                    <TableCell>{new Date(s.updatedAt).toLocaleString()}</TableCell>
                    <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
                      <Tooltip title="Replace the value">
                        <IconButton aria-label={`Replace ${s.name}`} size="small" onClick={() => setEditing({ name: s.name, scope: s.scope, seq: Date.now() })} data-testid={`secret-replace-${s.name}`}>
                          <EditIcon fontSize="small" />
                        </IconButton>
                      </Tooltip>
                      <Tooltip title="Delete">
                        <IconButton aria-label={`Delete ${s.name}`} size="small" onClick={() => setRemoving(s)} data-testid={`secret-delete-${s.name}`}>
                          <DeleteOutlineIcon fontSize="small" />
                        </IconButton>
                      </Tooltip>
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
        </CardContent>
      </Card>
      <SharedLoginsCard />
      <Dialog open={removing !== null} onClose={() => setRemoving(null)} maxWidth="xs" fullWidth>
        <DialogTitle>Delete {removing?.name}?</DialogTitle>
        <DialogContent>
          <DialogContentText>
            Sandboxes lose it at once: the proxy stops adding it and its file is deleted. Scope: {removing ? describeScope(removing.scope) : ''}. This
            cannot be undone; you would have to store the value again.
          </DialogContentText>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setRemoving(null)}>Cancel</Button>
          <Button
            color="error"
            variant="contained"
            data-testid="confirm-secret-delete"
            onClick={async () => {
              const s = removing!;
              setRemoving(null);
              try {
                await client().api.deleteSecret(s.name, s.scope);
                notify('success', `${s.name} deleted.`);
              } catch (e) {
                reportError(e, `Could not delete ${s.name}`);
              }
              void load();
            }}
          >
            Delete
          </Button>
        </DialogActions>
      </Dialog>
    </Stack>
  );
}

function StoreForm({ editing, onSaved }: { editing: { name: string; scope: string; seq: number } | null; onSaved: () => void }) {
  const agents = usePaddock((s) => s.agents);
  const sandboxes = usePaddock((s) => s.sandboxes);
  const list = useSecrets((s) => s.list);
  const [v, setV] = useState<StoreValues>(emptyStore);
  const [errors, setErrors] = useState<StoreErrors>({});
  const [busy, setBusy] = useState(false);
  const [serverError, setServerError] = useState<string | null>(null);
  const [answer, setAnswer] = useState<PutSecretResult | null>(null);
  const [multiline, setMultiline] = useState(false);
  const valueRef = useRef<HTMLInputElement | HTMLTextAreaElement>(null);

  useEffect(() => {
    if (!editing) return;
    const [kind, target] = editing.scope === 'global' ? ['global', ''] : [editing.scope.slice(0, editing.scope.indexOf(':')), editing.scope.slice(editing.scope.indexOf(':') + 1)];
    setV({ name: editing.name, scopeKind: kind as ScopeKind, scopeTarget: target ?? '', value: '' });
    setErrors({});
    setAnswer(null);
    setServerError(null);
    valueRef.current?.focus();
  }, [editing]);

  const set = <K extends keyof StoreValues>(k: K, val: StoreValues[K]) => {
    setV((o) => ({ ...o, [k]: val }));
    setErrors((e) => ({ ...e, [k]: undefined }));
    setServerError(null);
    setAnswer(null);
  };
  const exists = list?.some((s) => s.name === v.name.trim() && s.scope === (v.scopeKind === 'global' ? 'global' : `${v.scopeKind}:${v.scopeTarget}`));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const { errors: found, request } = validateStore(v);
    setErrors(found);
    if (!request) return;
    setBusy(true);
    setServerError(null);
    try {
      const res = await client().api.putSecret(request.name, request.value, request.scope);
      // The value leaves the page: the form forgets it, and nothing ever shows it again.
      setV((o) => ({ ...o, value: '' }));
      setAnswer(res);
      notify('success', `${res.secret.name} stored for ${describeScope(res.secret.scope)}.`);
      onSaved();
    } catch (err) {
      if (isUnauthorized(err)) usePaddock.getState().setUnauthorized();
      setServerError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const targets = v.scopeKind === 'agent' ? agents.map((a) => a.name) : Object.keys(sandboxes).sort();
  return (
    <Card variant="outlined">
      <CardContent component="form" onSubmit={submit} noValidate data-testid="secret-form">
        <Typography variant="h3" sx={{ mb: 2 }}>
          {exists ? `Replace ${v.name.trim()}` : 'Store a secret'}
        </Typography>
        <Stack spacing={2}>
          <Stack direction={{ xs: 'column', md: 'row' }} spacing={1.5} alignItems="flex-start">
            <TextField
              label="Name"
              value={v.name}
              onChange={(e) => set('name', e.target.value)}
              error={Boolean(errors.name)}
              helperText={errors.name ?? 'Upper-case, e.g. ANTHROPIC_API_KEY or NPM_TOKEN.'}
              sx={{ flex: 1.2, width: '100%' }}
              slotProps={{ htmlInput: { spellCheck: false, autoComplete: 'off', 'data-testid': 'secret-name' } }}
            />
            <TextField
              select
              label="For"
              value={v.scopeKind}
              onChange={(e) => setV((o) => ({ ...o, scopeKind: e.target.value as ScopeKind, scopeTarget: '' }))}
              helperText="The narrowest scope wins."
              sx={{ flex: 1, width: '100%' }}
              SelectProps={{ SelectDisplayProps: { 'data-testid': 'secret-scope' } as object }}
            >
              <MenuItem value="global" data-testid="secret-scope-global">Every sandbox</MenuItem>
              <MenuItem value="agent" data-testid="secret-scope-agent">One agent’s sandboxes</MenuItem>
              <MenuItem value="sandbox" data-testid="secret-scope-sandbox">One sandbox</MenuItem>
            </TextField>
            {v.scopeKind !== 'global' && (
              <TextField
                select
                label={v.scopeKind === 'agent' ? 'Agent' : 'Sandbox'}
                value={targets.includes(v.scopeTarget) ? v.scopeTarget : ''}
                onChange={(e) => set('scopeTarget', e.target.value)}
                error={Boolean(errors.scopeTarget)}
                helperText={errors.scopeTarget ?? (targets.length ? ' ' : v.scopeKind === 'sandbox' ? 'No sandboxes yet.' : ' ')}
                sx={{ flex: 1, width: '100%' }}
                SelectProps={{ SelectDisplayProps: { 'data-testid': 'secret-scope-target' } as object }}
              >
                {targets.map((t) => (
                  <MenuItem key={t} value={t}>
                    {t}
                  </MenuItem>
                ))}
              </TextField>
            )}
          </Stack>
          <TextField
            label={exists ? 'New value' : 'Value'}
            type={multiline ? 'text' : 'password'}
            multiline={multiline}
            minRows={multiline ? 4 : undefined}
            value={v.value}
            onChange={(e) => set('value', e.target.value)}
            error={Boolean(errors.value)}
            helperText={errors.value ?? 'Write-only: stored encrypted, never shown again. Paste from your password manager.'}
            inputRef={valueRef}
            slotProps={{
              htmlInput: {
                autoComplete: 'new-password',
                spellCheck: false,
                'data-testid': 'secret-value',
                // a multi-line value (a PEM key) is masked too
                style: multiline ? ({ WebkitTextSecurity: 'disc', fontFamily: 'monospace' } as React.CSSProperties) : undefined,
              },
            }}
          />
          <FormControlLabel control={<Switch size="small" checked={multiline} onChange={(e) => setMultiline(e.target.checked)} />} label="Multi-line value (a PEM key, for example; attach those in file mode)" />
          {serverError && (
            <Alert severity="error" data-testid="secret-error">
              {serverError}
            </Alert>
          )}
          {answer && (
            <Alert severity="success" data-testid="secret-saved">
              {answer.secret.name} is stored for {describeScope(answer.secret.scope)}.
              {answer.rotated.length > 0 && ` Running sandboxes that use it got the new value: ${answer.rotated.join(', ')}.`}
              {answer.recreateRequired.length > 0 && ` These use it as an environment variable and get it only when recreated: ${answer.recreateRequired.join(', ')}.`}
            </Alert>
          )}
          <Box sx={{ display: 'flex', gap: 1, justifyContent: 'flex-end' }}>
            {(v.name || v.value) && (
              <Button
                onClick={() => {
                  setV(emptyStore());
                  setErrors({});
                  setServerError(null);
                  setAnswer(null);
                }}
                disabled={busy}
              >
                Clear
              </Button>
            )}
            <Button type="submit" variant="contained" disabled={busy} data-testid="secret-save" startIcon={busy ? <CircularProgress size={16} color="inherit" /> : <KeyIcon />}>
              {exists ? 'Replace value' : 'Store secret'}
            </Button>
          </Box>
        </Stack>
      </CardContent>
    </Card>
  );
}

function SharedLoginsCard() {
  const agents = usePaddock((s) => s.agents);
  const [state, setState] = useState<SharedLogins | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    client()
      .api.sharedLogins()
      .then(setState, (e: unknown) => setError(errorMessage(e)));
  }, []);
  const title = (name: string) => agents.find((a) => a.name === name)?.title ?? name;
  return (
    <Card variant="outlined">
      <CardContent>
        <Typography variant="h3">Shared logins</Typography>
        <Typography variant="body2" color="text.secondary" sx={{ mt: 0.5, mb: 1 }}>
          Log in once with /login in any sandbox of an agent and every other sandbox of that agent is logged in too. New sandboxes get it; your
          machine’s own login is never copied.
        </Typography>
        {error && <Alert severity="error">Could not load shared logins: {error}</Alert>}
        {!state && !error && <Skeleton variant="rounded" height={40} />}
        {state && (
          <Stack direction="row" sx={{ flexWrap: 'wrap', columnGap: 3 }}>
            {state.supported.map((agent) => (
              <FormControlLabel
                key={agent}
                label={title(agent)}
                control={
                  <Switch
                    checked={state.agents.includes(agent)}
                    data-testid={`shared-login-${agent}`}
                    onChange={async (e) => {
                      try {
                        const r = await client().api.setSharedLogin(agent, e.target.checked);
                        setState({ ...state, agents: r.agents });
                      } catch (err) {
                        reportError(err, `Could not change the shared login of ${agent}`);
                      }
                    }}
                  />
                }
              />
            ))}
          </Stack>
        )}
      </CardContent>
    </Card>
  );
}
