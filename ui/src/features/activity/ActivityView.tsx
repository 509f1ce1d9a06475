/** The audit log, live: who did what, where, when, and how it ended. Filters, chain check, export. */
import DownloadIcon from '@mui/icons-material/Download';
import HistoryIcon from '@mui/icons-material/History';
import VerifiedUserIcon from '@mui/icons-material/VerifiedUser';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import CircularProgress from '@mui/material/CircularProgress';
import Collapse from '@mui/material/Collapse';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import Skeleton from '@mui/material/Skeleton';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { Fragment, useEffect, useMemo, useState } from 'react';
import { EmptyState } from '../../components/EmptyState';
import { API_PREFIX, AuditRecord, type AuditVerifyResult } from '../../core';
import { client, usePaddock } from '../../state/store';
import { errorMessage, isUnauthorized, type FeedState } from '../../transport/transport';
import { ACTION_FAMILIES, describeRecord, matchesClient, mergeRecords, SINCE_CHOICES, sinceMs, type ClientFilter, type Outcome } from './audit-view';

/** Records kept on screen; older ones are in the export. */
export const ACTIVITY_CAP = 500;
const POLL_MS = 3_000; // only where the host has no streams (Docker Desktop)

const OUTCOME_COLOR: Record<Outcome, 'success' | 'error' | 'warning' | 'default'> = {
  ok: 'success',
  refused: 'error',
  denied: 'error',
  stopped: 'error',
  flagged: 'warning',
  warning: 'warning',
};

export function ActivityView() {
  const sandboxes = usePaddock((s) => s.sandboxes);
  const [sandbox, setSandbox] = useState('');
  const [action, setAction] = useState('');
  const [since, setSince] = useState('');
  const [client_, setClient] = useState<ClientFilter>({ actor: '', text: '', outcome: 'any' });
  const [records, setRecords] = useState<AuditRecord[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [feed, setFeed] = useState<FeedState>('connecting');
  const [open, setOpen] = useState<number | null>(null);
  const [now, setNow] = useState(() => Date.now());

  // Server-side filters (sandbox, action) restart the stream; the rest filter what arrived.
  useEffect(() => {
    setRecords(null);
    setError(null);
    const { transport, api } = client();
    const q = new URLSearchParams();
    if (sandbox) q.set('sandbox', sandbox);
    if (action) q.set('action', action);
    q.set('limit', String(ACTIVITY_CAP));
    const take = (incoming: AuditRecord[]) => setRecords((l) => mergeRecords(l ?? [], incoming, ACTIVITY_CAP));
    if (transport.stream) {
      return transport.stream(
        `/audit/follow?${q.toString()}`,
        (data) => {
          const r = AuditRecord.safeParse(data);
          if (r.success) take([r.data]);
        },
        (s) => {
          setFeed(s);
          if (s === 'live') setRecords((l) => l ?? []);
          if (s === 'down') api.runtimes().catch((e: unknown) => isUnauthorized(e) && usePaddock.getState().setUnauthorized());
        },
      );
    }
    let stopped = false;
    const poll = async () => {
      try {
        take(await api.audit({ sandbox: sandbox || undefined, action: action || undefined, limit: ACTIVITY_CAP }));
        setFeed('live');
        setRecords((l) => l ?? []);
      } catch (e) {
        if (isUnauthorized(e)) usePaddock.getState().setUnauthorized();
        setFeed('down');
        setError(errorMessage(e));
      }
      if (!stopped) timer = setTimeout(poll, POLL_MS);
    };
    let timer = setTimeout(poll, 0);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [sandbox, action]);

  // "Last 15 minutes" keeps moving.
  useEffect(() => {
    if (!since) return;
    const t = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(t);
  }, [since]);

  const shown = useMemo(() => {
    const ms = sinceMs(since);
    return (records ?? []).filter((r) => (ms === null || Date.parse(r.time) >= now - ms) && matchesClient(r, client_));
  }, [records, since, now, client_]);
  const actors = useMemo(() => [...new Set((records ?? []).map((r) => r.actor))].sort(), [records]);
  const sandboxNames = useMemo(() => [...new Set([...Object.keys(sandboxes), ...(records ?? []).map((r) => r.sandbox).filter((x): x is string => Boolean(x))])].sort(), [sandboxes, records]);
  const filtered = Boolean(sandbox || action || since || client_.actor || client_.text || client_.outcome !== 'any');

  return (
    <Stack spacing={2} data-testid="activity-view" sx={{ minWidth: 0 }}>
      <Box sx={{ display: 'flex', alignItems: 'flex-start', gap: 2, flexWrap: 'wrap' }}>
        <Box sx={{ flex: 1, minWidth: 280 }}>
          <Typography variant="h1">Activity</Typography>
          <Typography color="text.secondary" sx={{ mt: 0.5 }}>
            paddockd’s audit log: every launch, settings change, terminal, secret handed in (by name), network summary and policy refusal, as it
            happens. Each record is chained to the one before it, so an edit shows.
          </Typography>
        </Box>
        <Tooltip title={feed === 'live' ? 'New records appear as they are written' : feed === 'down' ? 'Not connected; retrying' : 'Connecting…'}>
          <Chip size="small" data-testid="activity-feed" data-state={feed} color={feed === 'live' ? 'success' : feed === 'down' ? 'error' : 'default'} variant="outlined" label={feed === 'live' ? 'live' : feed === 'down' ? 'offline' : 'connecting'} sx={{ mt: 1 }} />
        </Tooltip>
        <Button startIcon={<DownloadIcon />} href={`${API_PREFIX}/audit/export`} download sx={{ mt: 0.5 }} disabled={client().transport.kind !== 'http'}>
          Export
        </Button>
      </Box>
      <VerifyBar />
      <Paper variant="outlined" sx={{ p: 1.5 }}>
        <Stack direction="row" spacing={1.5} useFlexGap sx={{ flexWrap: 'wrap' }}>
          <TextField select size="small" label="Sandbox" value={sandbox} onChange={(e) => setSandbox(e.target.value)} sx={{ minWidth: 180 }} InputLabelProps={{ shrink: true }} SelectProps={{ displayEmpty: true, SelectDisplayProps: { 'data-testid': 'activity-sandbox' } as object }}>
            <MenuItem value="">All sandboxes</MenuItem>
            {sandboxNames.map((n) => (
              <MenuItem key={n} value={n} data-testid={`activity-sandbox-${n}`}>
                {n}
              </MenuItem>
            ))}
          </TextField>
          <TextField select size="small" label="What" value={action} onChange={(e) => setAction(e.target.value)} sx={{ minWidth: 150 }} InputLabelProps={{ shrink: true }} SelectProps={{ displayEmpty: true, SelectDisplayProps: { 'data-testid': 'activity-action' } as object }}>
            <MenuItem value="">Everything</MenuItem>
            {ACTION_FAMILIES.map((a) => (
              <MenuItem key={a} value={a} data-testid={`activity-action-${a}`}>
                {a}
              </MenuItem>
            ))}
          </TextField>
          <TextField select size="small" label="Who" value={client_.actor} onChange={(e) => setClient((c) => ({ ...c, actor: e.target.value }))} sx={{ minWidth: 130 }} InputLabelProps={{ shrink: true }} SelectProps={{ displayEmpty: true, SelectDisplayProps: { 'data-testid': 'activity-actor' } as object }}>
            <MenuItem value="">Anyone</MenuItem>
            {actors.map((a) => (
              <MenuItem key={a} value={a} data-testid={`activity-actor-${a}`}>
                {a}
              </MenuItem>
            ))}
          </TextField>
          <TextField select size="small" label="When" value={since} onChange={(e) => setSince(e.target.value)} sx={{ minWidth: 160 }} InputLabelProps={{ shrink: true }} SelectProps={{ displayEmpty: true }}>
            {SINCE_CHOICES.map((c) => (
              <MenuItem key={c.value} value={c.value}>
                {c.label}
              </MenuItem>
            ))}
          </TextField>
          <TextField select size="small" label="Outcome" value={client_.outcome} onChange={(e) => setClient((c) => ({ ...c, outcome: e.target.value as ClientFilter['outcome'] }))} sx={{ minWidth: 170 }} SelectProps={{ SelectDisplayProps: { 'data-testid': 'activity-outcome' } as object }}>
            <MenuItem value="any">Any outcome</MenuItem>
            <MenuItem value="problems" data-testid="activity-outcome-problems">
              Refusals and denials
            </MenuItem>
          </TextField>
          <TextField size="small" label="Search" placeholder="action, sandbox, host, rule…" InputLabelProps={{ shrink: true }} value={client_.text} onChange={(e) => setClient((c) => ({ ...c, text: e.target.value }))} sx={{ flex: 1, minWidth: 180 }} slotProps={{ htmlInput: { 'data-testid': 'activity-search' } }} />
          {filtered && (
            <Button
              size="small"
              onClick={() => {
                setSandbox('');
                setAction('');
                setSince('');
                setClient({ actor: '', text: '', outcome: 'any' });
              }}
            >
              Clear filters
            </Button>
          )}
        </Stack>
      </Paper>
      {error && <Alert severity="error">Could not read the audit log: {error}</Alert>}
      {records === null && !error && <Skeleton variant="rounded" height={160} />}
      {records !== null && shown.length === 0 && (
        <EmptyState testId="activity-empty" icon={<HistoryIcon />} title={filtered ? 'Nothing matches these filters' : 'No activity yet'}>
          {filtered
            ? 'Widen the time range or clear a filter. New records still appear here as they happen.'
            : 'Launch an agent, open a terminal or change a setting: each action is recorded here the moment it happens.'}
        </EmptyState>
      )}
      {shown.length > 0 && (
        <TableContainer component={Paper} variant="outlined">
          <Table size="small" data-testid="activity-table" sx={{ tableLayout: 'fixed' }}>
            <TableHead>
              <TableRow>
                <TableCell sx={{ width: 150 }}>When</TableCell>
                <TableCell sx={{ width: 100 }}>Who</TableCell>
                <TableCell sx={{ width: 180 }}>What</TableCell>
                <TableCell sx={{ width: 210 }}>Sandbox</TableCell>
                <TableCell sx={{ width: 100 }}>Outcome</TableCell>
                <TableCell>Details</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {shown.map((r) => {
                const d = describeRecord(r);
                return (
                  <Fragment key={r.seq}>
                    <TableRow hover onClick={() => setOpen(open === r.seq ? null : r.seq)} sx={{ cursor: 'pointer', verticalAlign: 'top', '& td': { overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }, '& td:last-of-type': { whiteSpace: 'normal', overflowWrap: 'anywhere' } }} data-testid={`activity-row-${r.seq}`} data-action={r.action} data-sandbox={r.sandbox ?? ''} data-outcome={d.outcome}>
                      <TableCell title={new Date(r.time).toLocaleString()}>{shortTime(r.time, now)}</TableCell>
                      <TableCell>{r.actor}</TableCell>
                      <TableCell sx={{ fontFamily: 'monospace', fontSize: 13 }}>{r.action}</TableCell>
                      <TableCell title={r.sandbox ?? ''}>{r.sandbox ?? '—'}</TableCell>
                      <TableCell>
                        <Chip size="small" label={d.outcome} color={OUTCOME_COLOR[d.outcome]} variant={d.outcome === 'ok' ? 'outlined' : 'filled'} />
                      </TableCell>
                      <TableCell title={d.summary}>{d.summary}</TableCell>
                    </TableRow>
                    <TableRow>
                      <TableCell colSpan={6} sx={{ p: 0, borderBottom: open === r.seq ? undefined : 'none' }}>
                        <Collapse in={open === r.seq} unmountOnExit>
                          <Box component="pre" sx={{ m: 0, p: 1.5, fontSize: 12, whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', bgcolor: 'action.hover' }}>
                            {`record ${r.seq} · prev ${r.prev.slice(0, 16)}…\n${JSON.stringify(r.details, null, 2)}`}
                          </Box>
                        </Collapse>
                      </TableCell>
                    </TableRow>
                  </Fragment>
                );
              })}
            </TableBody>
          </Table>
        </TableContainer>
      )}
      {records !== null && records.length >= ACTIVITY_CAP && (
        <Typography variant="body2" color="text.secondary">
          Showing the newest {ACTIVITY_CAP} records; Export has the whole log.
        </Typography>
      )}
    </Stack>
  );
}

/** "2:04:21 PM" today, "Nov 29, 11:04 PM" before: fits the column; the full time is in the tooltip. */
function shortTime(iso: string, now: number): string {
  const d = new Date(iso);
  const today = new Date(now).toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString() : d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
}

function VerifyBar() {
  const [result, setResult] = useState<AuditVerifyResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const verify = async () => {
    setBusy(true);
    try {
      setResult(await client().api.auditVerify());
      setError(null);
    } catch (e) {
      if (isUnauthorized(e)) usePaddock.getState().setUnauthorized();
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Box>
      <Button variant="outlined" startIcon={busy ? <CircularProgress size={16} /> : <VerifiedUserIcon />} onClick={() => void verify()} disabled={busy} data-testid="activity-verify">
        Check the chain
      </Button>
      {error && (
        <Alert severity="error" sx={{ mt: 1 }}>
          Could not check the log: {error}
        </Alert>
      )}
      {result &&
        (result.ok ? (
          <Alert severity="success" sx={{ mt: 1 }} data-testid="activity-verify-ok">
            Intact: {result.records} records in {result.files.length} file{result.files.length === 1 ? '' : 's'}
            {result.head ? `. Last record ${result.head.seq}, sha256 ${result.head.hash.slice(0, 12)}…${result.head.hash.slice(-4)} — note it down: a later check that no longer reaches it means the log was rewritten.` : '.'}
            {result.repairs.length > 0 && ` paddockd noted damage it found earlier in records ${result.repairs.map((x) => `${x.seq} (${x.action})`).join(', ')}.`}
          </Alert>
        ) : (
          <Alert severity="error" sx={{ mt: 1 }} data-testid="activity-verify-failed">
            The log was changed: {result.firstBad?.message ?? 'the chain is broken'}
            {result.firstBad ? ` (record ${result.firstBad.seq} at ${result.firstBad.file}:${result.firstBad.line})` : ''}
            {result.partialTail ? ` An unfinished last line (${result.partialTail.bytes} bytes) is dropped when paddockd restarts.` : ''}
          </Alert>
        ))}
    </Box>
  );
}
