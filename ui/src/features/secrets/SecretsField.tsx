/** Secrets attached to a sandbox: one row per secret with its injection mode. Shared by the launch form and the settings drawer. */
import AddIcon from '@mui/icons-material/Add';
import DeleteOutlineIcon from '@mui/icons-material/DeleteOutline';
import KeyIcon from '@mui/icons-material/Key';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import FormHelperText from '@mui/material/FormHelperText';
import FormLabel from '@mui/material/FormLabel';
import IconButton from '@mui/material/IconButton';
import Menu from '@mui/material/Menu';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useEffect, useState } from 'react';
import { ENV_MODE_WARNING, providerForName, type SecretMode } from '../../core';
import { useSecrets } from '../../state/secrets';
import { useUi } from '../../state/ui';
import { availableSecrets, newRow, type AttachmentRow, type ProxyTarget } from './secrets-form';

const MODE_HELP: Record<SecretMode, string> = {
  proxy: 'The sandbox holds only a placeholder; the egress proxy adds the real key to requests for the provider’s host.',
  file: 'A file in /run/secrets readable only by the agent, in memory, gone when the sandbox stops.',
  env: ENV_MODE_WARNING,
};

const PROVIDERS: { value: ProxyTarget; label: string }[] = [
  { value: 'anthropic', label: 'Anthropic (x-api-key)' },
  { value: 'openai', label: 'OpenAI (Authorization: Bearer)' },
  { value: 'gemini', label: 'Gemini (x-goog-api-key)' },
  { value: 'custom', label: 'Another host (header for host)' },
];

export function SecretsField({
  rows,
  onChange,
  rowErrors = {},
  listError,
  agent,
  sandbox,
  testPrefix,
  onLeave,
}: {
  rows: AttachmentRow[];
  onChange: (rows: AttachmentRow[]) => void;
  rowErrors?: Record<number, string>;
  listError?: string | null;
  agent: string;
  sandbox?: string;
  testPrefix: string;
  /** Called before "Manage stored secrets" leaves the form, so it can keep what was typed. */
  onLeave?: () => void;
}) {
  const { list, error, load } = useSecrets();
  const closeLaunch = useUi((s) => s.closeLaunch);
  const closeSettings = useUi((s) => s.closeSettings);
  const go = useUi((s) => s.go);
  const [menu, setMenu] = useState<HTMLElement | null>(null);
  useEffect(() => {
    void load();
  }, [load]);
  const available = list ? availableSecrets(list, agent, sandbox) : [];
  const unattached = available.filter((n) => !rows.some((r) => r.name === n));
  const update = (i: number, patch: Partial<AttachmentRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const toSecretsPage = () => {
    onLeave?.();
    closeLaunch();
    closeSettings();
    go('secrets');
  };

  return (
    <Stack spacing={1} data-field="secrets" data-testid={`${testPrefix}-secrets`}>
      <FormLabel>Secrets</FormLabel>
      {rows.length === 0 && (
        <Typography variant="body2" color="text.secondary">
          {!agent
            ? 'Pick an agent first: secrets can be stored for one agent.'
            : list && available.length === 0
              ? 'No stored secret reaches this sandbox yet. Store API keys and tokens on the Secrets page, then attach them here.'
              : 'None attached. Attach the API keys and tokens this agent needs; it never sees their values in proxy mode.'}
        </Typography>
      )}
      {rows.map((r, i) => {
        const preset = providerForName(r.name);
        return (
          <Paper key={`${r.name}-${i}`} variant="outlined" sx={{ p: 1.5 }} data-testid={`${testPrefix}-secret-${r.name || i}`}>
            <Stack direction="row" spacing={1} alignItems="flex-start">
              <KeyIcon fontSize="small" color="action" sx={{ mt: 1 }} />
              <Typography sx={{ fontFamily: 'monospace', flex: 1, minWidth: 0, mt: 0.75, overflowWrap: 'anywhere' }}>{r.name}</Typography>
              <TextField
                select
                size="small"
                label="Mode"
                value={r.mode}
                onChange={(e) => update(i, { mode: e.target.value as SecretMode, target: r.target })}
                sx={{ width: 130 }}
                SelectProps={{ SelectDisplayProps: { 'data-testid': `${testPrefix}-secret-mode-${r.name}` } as object }}
              >
                <MenuItem value="proxy" data-testid={`${testPrefix}-secret-mode-${r.name}-proxy`}>Proxy</MenuItem>
                <MenuItem value="file" data-testid={`${testPrefix}-secret-mode-${r.name}-file`}>File</MenuItem>
                <MenuItem value="env" data-testid={`${testPrefix}-secret-mode-${r.name}-env`}>Env</MenuItem>
              </TextField>
              <IconButton aria-label={`Detach ${r.name}`} onClick={() => onChange(rows.filter((_, j) => j !== i))} data-testid={`${testPrefix}-secret-remove-${r.name}`}>
                <DeleteOutlineIcon fontSize="small" />
              </IconButton>
            </Stack>
            {r.mode === 'proxy' && (
              <Stack spacing={1} sx={{ mt: 1.5 }}>
                <TextField select size="small" label="Provider" value={r.target} onChange={(e) => update(i, { target: e.target.value as ProxyTarget })}>
                  {preset && <MenuItem value="preset">{`${preset} (from the name ${r.name})`}</MenuItem>}
                  {PROVIDERS.map((p) => (
                    <MenuItem key={p.value} value={p.value}>
                      {p.label}
                    </MenuItem>
                  ))}
                </TextField>
                {r.target === 'custom' && (
                  <Stack direction="row" spacing={1}>
                    <TextField size="small" label="API host" value={r.host} onChange={(e) => update(i, { host: e.target.value })} placeholder="api.example.test" sx={{ flex: 2 }} slotProps={{ htmlInput: { spellCheck: false, 'data-testid': `${testPrefix}-secret-host-${r.name}` } }} />
                    <TextField size="small" label="Header" value={r.header} onChange={(e) => update(i, { header: e.target.value })} placeholder="Authorization" sx={{ flex: 1.5 }} slotProps={{ htmlInput: { spellCheck: false } }} />
                    <TextField size="small" label="Prefix" value={r.prefix} onChange={(e) => update(i, { prefix: e.target.value })} placeholder={r.header.trim() ? '' : 'Bearer '} sx={{ flex: 1 }} />
                  </Stack>
                )}
              </Stack>
            )}
            {r.mode === 'env' ? (
              <Alert severity="warning" sx={{ mt: 1, py: 0 }} data-testid={`${testPrefix}-secret-env-warning-${r.name}`}>
                {MODE_HELP.env}
              </Alert>
            ) : (
              <FormHelperText sx={{ mx: 0 }}>{MODE_HELP[r.mode]}</FormHelperText>
            )}
            {rowErrors[i] && (
              <FormHelperText error sx={{ mx: 0 }} data-testid={`${testPrefix}-secret-error-${r.name || i}`}>
                {rowErrors[i]}
              </FormHelperText>
            )}
          </Paper>
        );
      })}
      {listError && <FormHelperText error>{listError}</FormHelperText>}
      {error && (
        <Alert severity="error" action={<Button color="inherit" size="small" onClick={() => void load()}>Retry</Button>}>
          Could not load the stored secrets: {error}
        </Alert>
      )}
      <Box sx={{ display: 'flex', gap: 1, flexWrap: 'wrap' }}>
        <Button size="small" startIcon={<AddIcon />} disabled={!agent || unattached.length === 0} onClick={(e) => setMenu(e.currentTarget)} data-testid={`${testPrefix}-secret-add`}>
          Attach a secret
        </Button>
        <Button size="small" onClick={toSecretsPage} data-testid={`${testPrefix}-secrets-page`}>
          Manage stored secrets
        </Button>
      </Box>
      <Menu anchorEl={menu} open={Boolean(menu)} onClose={() => setMenu(null)}>
        {unattached.map((n) => (
          <MenuItem
            key={n}
            sx={{ fontFamily: 'monospace' }}
            data-testid={`${testPrefix}-secret-pick-${n}`}
            onClick={() => {
              setMenu(null);
              onChange([...rows, newRow(n)]);
            }}
          >
            {n}
          </MenuItem>
        ))}
      </Menu>
    </Stack>
  );
}
