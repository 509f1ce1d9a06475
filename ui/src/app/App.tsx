import { DockerMuiV6ThemeProvider } from '@docker/docker-mui-theme';
import CssBaseline from '@mui/material/CssBaseline';
import { LoginRequired } from '../components/LoginRequired';
import { usePaddock } from '../state/store';
import { Shell } from './Shell';

export function App() {
  const unauthorized = usePaddock((s) => s.unauthorized);
  return (
    <DockerMuiV6ThemeProvider>
      <CssBaseline />
      {unauthorized ? <LoginRequired /> : <Shell />}
    </DockerMuiV6ThemeProvider>
  );
}
