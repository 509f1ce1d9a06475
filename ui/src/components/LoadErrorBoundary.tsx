/**
 * Catches a lazily loaded part of the dashboard that failed to load (paddockd was updated and the
 * old chunk is gone, or the connection dropped) or crashed, and says what to do instead of
 * leaving a blank page.
 */
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import { Component, type ReactNode } from 'react';

export class LoadErrorBoundary extends Component<{ children: ReactNode; what: string; floating?: boolean }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    const chunk = /dynamically imported module|Importing a module script failed|Loading chunk/i.test(error.message);
    return (
      <Alert
        severity="error"
        data-testid="load-failed"
        sx={this.props.floating ? { position: 'fixed', left: 16, right: 16, bottom: 16, zIndex: 1500 } : undefined}
        action={
          <Button color="inherit" size="small" onClick={() => location.reload()}>
            Reload
          </Button>
        }
      >
        {chunk
          ? `The ${this.props.what} could not be loaded: the dashboard was probably updated while this page was open. Reload the page.`
          : `The ${this.props.what} stopped with an error: ${error.message}. Reload the page; if it happens again, report it with this message.`}
      </Alert>
    );
  }
}
