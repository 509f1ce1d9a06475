/** Read-only policy page: the effective rules and the file each came from, file errors, flagged sandboxes, and a dry-run check. */
import GavelIcon from '@mui/icons-material/Gavel';
import RefreshIcon from '@mui/icons-material/Refresh';
import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Chip from '@mui/material/Chip';
import CircularProgress from '@mui/material/CircularProgress';
import MenuItem from '@mui/material/MenuItem';
import Skeleton from '@mui/material/Skeleton';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { EmptyState } from '../../components/EmptyState';
import { parseCpus, parseMemory, type CreateSandboxRequest, type Isolation, type NetworkMode, type PolicyCheckResult, type PolicyView as PolicyViewData } from '../../core';
import { client, usePaddock } from '../../state/store';
import { errorMessage, isUnauthorized } from '../../transport/transport';
import { cpusError, memoryError } from '../launch/launch-form';
import { describeFileError, onlyBuiltIn, ruleRows, type SourceKind } from './policy-view';

const KIND_LABEL: Record<SourceKind, string> = { org: 'organization', user: 'yours', 'built-in': 'built-in' };
const KIND_COLOR: Record<SourceKind, 'primary' | 'secondary' | 'default'> = { org: 'primary', user: 'secondary', 'built-in': 'default' };

export function PolicyView() {
  const [view, setView] = useState<PolicyViewData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const load = useCallback(async () => {
    setLoading(true);
    try {
      setView(await client().api.policy());
      setError(null);
    } catch (e) {
      if (isUnauthorized(e)) usePaddock.getState().setUnauthorized();
      setError(errorMessage(e));
    } finally {
      setLoading(false);
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <Stack spacing={2} data-testid="policy-view" sx={{ maxWidth: 1100 }}>
      <Box sx={{ display: 'flex', alignItems: 'flex-start', gap: 2 }}>
        <Box sx={{ flex: 1, minWidth: 0 }}>
          <Typography variant="h1">Policy</Typography>
          <Typography color="text.secondary" sx={{ mt: 0.5 }}>
            The rules every sandbox on this machine follows, and the file each one comes from. The organization file wins over yours. Files
            are watched: edit one and paddockd applies it within a second (read-only here).
          </Typography>
        </Box>
        <Button startIcon={loading ? <CircularProgress size={16} /> : <RefreshIcon />} onClick={() => void load()} disabled={loading} data-testid="policy-reload">
          Reload
        </Button>
      </Box>
      {error && (
        <Alert severity="error" action={<Button color="inherit" size="small" onClick={() => void load()}>Retry</Button>}>
          Could not read the policy: {error}
        </Alert>
      )}
      {!view && !error && <Skeleton variant="rounded" height={200} />}
      {view && <PolicyBody view={view} />}
      <CheckCard />
    </Stack>
  );
}

function PolicyBody({ view }: { view: PolicyViewData }) {
  const rows = ruleRows(view);
  const builtInOnly = onlyBuiltIn(view);
  return (
    <>
      {view.errors.length > 0 && (
        <Alert severity="error" data-testid="policy-errors">
          <AlertTitle>A policy file has errors: no sandbox can be created or changed until they are fixed</AlertTitle>
          {view.errors.map((e, i) => (
            <Box key={i} component="div" sx={{ fontFamily: 'monospace', overflowWrap: 'anywhere' }}>
              {describeFileError(e)}
            </Box>
          ))}
        </Alert>
      )}
      {view.flagged.length > 0 && (
        <Alert severity="warning" data-testid="policy-flagged">
          <AlertTitle>Running sandboxes that break the policy (onViolation: flag)</AlertTitle>
          {view.flagged.map((f) => (
            <Box key={f.sandbox} sx={{ mb: 0.5 }}>
              <b>{f.sandbox}</b>: {f.violations.map((v) => `${v.message} (${v.rule}, ${v.source})`).join(' ')}
            </Box>
          ))}
        </Alert>
      )}
      <Card variant="outlined">
        <CardContent>
          <Typography variant="h3" sx={{ mb: 1 }}>
            Files
          </Typography>
          <Box component="dl" sx={{ m: 0, display: 'grid', gridTemplateColumns: 'max-content 1fr', columnGap: 2, rowGap: 0.75, '& dt': { color: 'text.secondary' }, '& dd': { m: 0, minWidth: 0, overflowWrap: 'anywhere' } }}>
            <dt>Organization</dt>
            <dd data-testid="policy-file-org">
              {view.files.org ? (
                <>
                  <code>{view.files.org.path}</code> {view.files.org.present ? <Chip size="small" label="in effect" color="primary" variant="outlined" /> : <Chip size="small" label="missing" color="error" />}
                </>
              ) : (
                'none ($PADDOCK_ORG_POLICY is not set)'
              )}
            </dd>
            <dt>Yours</dt>
            <dd data-testid="policy-file-user">
              <code>{view.files.user.path}</code>{' '}
              {view.files.user.present ? <Chip size="small" label="in effect" color="secondary" variant="outlined" /> : <Chip size="small" label="not created" variant="outlined" />}
            </dd>
            <dt>Running sandboxes that break it</dt>
            <dd>{view.onViolation === 'stop' ? 'are stopped' : 'keep running and are flagged here'} (onViolation: {view.onViolation})</dd>
            <dt>Read</dt>
            <dd>{new Date(view.loadedAt).toLocaleString()}</dd>
          </Box>
        </CardContent>
      </Card>
      <Card variant="outlined">
        <CardContent>
          <Typography variant="h3" sx={{ mb: 1 }}>
            Rules in effect
          </Typography>
          {builtInOnly && (
            <EmptyState testId="policy-empty" icon={<GavelIcon />} title="No rules set">
              Only Paddock’s own safety rules apply: never the root folder (/), your home folder itself or a system folder as a workspace, and hardened
              containers. To restrict agents, folders, isolation, resources or hosts, create <code>{view.files.user.path}</code> (the example in
              docs/policy.md is a good start).
            </EmptyState>
          )}
          <Table size="small" data-testid="policy-rules">
            <TableHead>
              <TableRow>
                <TableCell sx={{ width: '26%' }}>Rule</TableCell>
                <TableCell>Value</TableCell>
                <TableCell sx={{ width: '34%' }}>From</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {rows.map((r) => (
                <TableRow key={r.rule} data-testid={`policy-rule-${r.rule}`} sx={{ verticalAlign: 'top' }}>
                  <TableCell>
                    <Typography sx={{ fontFamily: 'monospace', fontSize: 13 }}>{r.rule}</Typography>
                    <Typography variant="body2" color="text.secondary">
                      {r.help}
                    </Typography>
                  </TableCell>
                  <TableCell>
                    {r.entries.map((e, i) => (
                      <Box key={i} sx={{ fontFamily: 'monospace', fontSize: 13, overflowWrap: 'anywhere', minHeight: 24 }} data-testid="policy-value">
                        {e.value}
                      </Box>
                    ))}
                  </TableCell>
                  <TableCell>
                    {r.entries.map((e, i) => (
                      <Box key={i} sx={{ display: 'flex', gap: 1, alignItems: 'center', minWidth: 0, minHeight: 24 }} data-testid="policy-source" data-kind={e.kind}>
                        <Chip size="small" label={KIND_LABEL[e.kind]} color={KIND_COLOR[e.kind]} variant="outlined" />
                        {e.kind !== 'built-in' && (
                          <Typography variant="body2" color="text.secondary" sx={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }} title={e.source}>
                            {e.source}
                          </Typography>
                        )}
                      </Box>
                    ))}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </CardContent>
      </Card>
    </>
  );
}

interface CheckValues {
  agent: string;
  workspace: string;
  isolation: Isolation;
  network: NetworkMode;
  cpus: string;
  memory: string;
}

/** "Would this launch be allowed?": POST /policy/check, nothing is created. */
function CheckCard() {
  const agents = usePaddock((s) => s.agents);
  const workspaces = usePaddock((s) => s.workspaces);
  const runtimes = usePaddock((s) => s.runtimes);
  const [v, setV] = useState<CheckValues>({ agent: '', workspace: '', isolation: 'container', network: 'allowlist', cpus: '', memory: '' });
  const [errors, setErrors] = useState<Partial<Record<keyof CheckValues, string>>>({});
  const [result, setResult] = useState<PolicyCheckResult | null>(null);
  const [serverError, setServerError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof CheckValues>(k: K, val: CheckValues[K]) => {
    setV((o) => ({ ...o, [k]: val }));
    setErrors((e) => ({ ...e, [k]: undefined }));
    setResult(null);
    setServerError(null);
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const found: typeof errors = {};
    if (!v.agent) found.agent = 'Pick an agent.';
    if (!v.workspace.trim()) found.workspace = 'Pick or type a folder.';
    else if (!v.workspace.trim().startsWith('/')) found.workspace = 'Use an absolute path (starting with /).';
    if (v.cpus.trim() && cpusError(v.cpus)) found.cpus = cpusError(v.cpus)!;
    if (v.memory.trim() && memoryError(v.memory)) found.memory = memoryError(v.memory)!;
    setErrors(found);
    if (Object.keys(found).length) return;
    const req: CreateSandboxRequest = { agent: v.agent, workspace: v.workspace.trim(), isolation: v.isolation, network: v.network };
    if (v.cpus.trim()) req.cpus = parseCpus(v.cpus);
    if (v.memory.trim()) req.memory = parseMemory(v.memory);
    setBusy(true);
    try {
      setResult(await client().api.policyCheck(req));
      setServerError(null);
    } catch (err) {
      if (isUnauthorized(err)) usePaddock.getState().setUnauthorized();
      setServerError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card variant="outlined">
      <CardContent component="form" onSubmit={submit} noValidate data-testid="policy-check">
        <Typography variant="h3">Would a launch be allowed?</Typography>
        <Typography variant="body2" color="text.secondary" sx={{ mt: 0.5, mb: 2 }}>
          A dry run against the rules above: nothing is created. Empty fields take the policy’s defaults.
        </Typography>
        <Stack spacing={1.5}>
          <Stack direction={{ xs: 'column', md: 'row' }} spacing={1.5} alignItems="flex-start">
            <TextField select label="Agent" value={v.agent} onChange={(e) => set('agent', e.target.value)} error={Boolean(errors.agent)} helperText={errors.agent ?? ' '} sx={{ flex: 1, width: '100%' }} SelectProps={{ SelectDisplayProps: { 'data-testid': 'check-agent' } as object }}>
              {agents.map((a) => (
                <MenuItem key={a.name} value={a.name} data-testid={`check-agent-${a.name}`}>
                  {a.title}
                </MenuItem>
              ))}
            </TextField>
            <TextField
              label="Workspace"
              value={v.workspace}
              onChange={(e) => set('workspace', e.target.value)}
              error={Boolean(errors.workspace)}
              helperText={errors.workspace ?? ' '}
              placeholder={workspaces[0]?.path ?? '/home/you/src/project'}
              sx={{ flex: 2, width: '100%' }}
              slotProps={{ htmlInput: { spellCheck: false, list: 'check-workspaces', 'data-testid': 'check-workspace' } }}
            />
            <datalist id="check-workspaces">
              {workspaces.map((w) => (
                <option key={w.path} value={w.path} />
              ))}
            </datalist>
          </Stack>
          <Stack direction={{ xs: 'column', md: 'row' }} spacing={1.5} alignItems="flex-start">
            <TextField select label="Isolation" value={v.isolation} onChange={(e) => set('isolation', e.target.value as Isolation)} helperText=" " sx={{ flex: 1, width: '100%' }} SelectProps={{ SelectDisplayProps: { 'data-testid': 'check-isolation' } as object }}>
              {(['container', 'gvisor', 'microvm'] as const).map((i) => (
                <MenuItem key={i} value={i} data-testid={`check-isolation-${i}`}>
                  {i}
                  {runtimes.find((r) => r.isolation === i && !r.available) ? ' (not on this engine)' : ''}
                </MenuItem>
              ))}
            </TextField>
            <TextField select label="Network" value={v.network} onChange={(e) => set('network', e.target.value as NetworkMode)} helperText=" " sx={{ flex: 1, width: '100%' }} SelectProps={{ SelectDisplayProps: { 'data-testid': 'check-network' } as object }}>
              {(['none', 'allowlist', 'open'] as const).map((n) => (
                <MenuItem key={n} value={n} data-testid={`check-network-${n}`}>
                  {n}
                </MenuItem>
              ))}
            </TextField>
            <TextField label="CPUs" value={v.cpus} onChange={(e) => set('cpus', e.target.value)} placeholder="default" error={Boolean(errors.cpus)} helperText={errors.cpus ?? ' '} sx={{ flex: 1, width: '100%' }} slotProps={{ htmlInput: { inputMode: 'decimal', 'data-testid': 'check-cpus' } }} />
            <TextField label="Memory" value={v.memory} onChange={(e) => set('memory', e.target.value)} placeholder="default" error={Boolean(errors.memory)} helperText={errors.memory ?? ' '} sx={{ flex: 1, width: '100%' }} slotProps={{ htmlInput: { 'data-testid': 'check-memory' } }} />
          </Stack>
          <Box sx={{ display: 'flex', justifyContent: 'flex-end' }}>
            <Button type="submit" variant="contained" disabled={busy} data-testid="check-submit" startIcon={busy ? <CircularProgress size={16} color="inherit" /> : <GavelIcon />}>
              Check
            </Button>
          </Box>
          {serverError && (
            <Alert severity="error" data-testid="check-error">
              {serverError}
            </Alert>
          )}
          {result &&
            (result.allowed ? (
              <Alert severity="success" data-testid="check-allowed">
                Allowed. The policy would launch it with {describeEffective(result.effective)}.
              </Alert>
            ) : (
              <Alert severity="error" data-testid="check-refused">
                <AlertTitle>Refused by policy</AlertTitle>
                {result.violations.map((x, i) => (
                  <Box key={i} sx={{ mb: 0.75 }} data-testid="check-violation">
                    <Box component="span" sx={{ fontFamily: 'monospace' }}>
                      {x.rule}
                    </Box>{' '}
                    <Typography component="span" variant="body2" color="text.secondary">
                      ({x.source})
                    </Typography>
                    <br />
                    {x.message}
                  </Box>
                ))}
              </Alert>
            ))}
        </Stack>
      </CardContent>
    </Card>
  );
}

function describeEffective(e: Record<string, unknown>): string {
  const parts: string[] = [];
  if (e.isolation) parts.push(`${String(e.isolation)} isolation`);
  if (e.network) parts.push(`network ${String(e.network)}`);
  if (e.cpus) parts.push(`${String(e.cpus)} CPUs`);
  if (e.memory) parts.push(`memory ${typeof e.memory === 'number' ? `${Math.round((e.memory / 1024 ** 3) * 10) / 10} GiB` : String(e.memory)}`);
  if (e.pids) parts.push(`${String(e.pids)} processes`);
  return parts.join(', ') || 'its defaults';
}
