import Alert from '@mui/material/Alert';
import Snackbar from '@mui/material/Snackbar';
import { usePaddock } from '../state/store';

export const TOAST_MS = 5_000; // long enough to read a sentence, short enough not to pile up

/** The dashboard's own toasts (Docker Desktop shows them itself): one at a time, oldest first. */
export function Toasts() {
  const toast = usePaddock((s) => s.toasts[0]);
  const dismiss = usePaddock((s) => s.dismissToast);
  return (
    <Snackbar
      key={toast?.id}
      open={Boolean(toast)}
      autoHideDuration={TOAST_MS}
      onClose={(_, reason) => reason !== 'clickaway' && toast && dismiss(toast.id)}
      anchorOrigin={{ vertical: 'bottom', horizontal: 'left' }}
    >
      {toast ? (
        <Alert severity={toast.level} variant="filled" onClose={() => dismiss(toast.id)} data-testid="toast" sx={{ maxWidth: 560 }}>
          {toast.message}
        </Alert>
      ) : undefined}
    </Snackbar>
  );
}
