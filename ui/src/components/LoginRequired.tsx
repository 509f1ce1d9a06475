import LockIcon from '@mui/icons-material/Lock';
import Box from '@mui/material/Box';
import Paper from '@mui/material/Paper';
import Typography from '@mui/material/Typography';

/** Shown when paddockd answers 401: the session cookie is missing or expired. */
export function LoginRequired() {
  return (
    <Box sx={{ minHeight: '100vh', display: 'grid', placeItems: 'center', p: 3 }} data-testid="login-required">
      <Paper variant="outlined" sx={{ p: 4, maxWidth: 520, textAlign: 'center' }}>
        <LockIcon color="primary" sx={{ fontSize: 48 }} />
        <Typography variant="h1" sx={{ my: 1 }}>
          Sign in to Paddock
        </Typography>
        <Typography color="text.secondary">
          This dashboard session is missing or has expired. Run{' '}
          <Box component="code" sx={{ px: 0.75, py: 0.25, borderRadius: 1, bgcolor: 'action.hover', fontFamily: 'monospace' }}>
            paddock dashboard
          </Box>{' '}
          in a terminal to get a new login link.
        </Typography>
      </Paper>
    </Box>
  );
}
