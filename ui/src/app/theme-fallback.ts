/**
 * `@docker/docker-mui-theme` reads its theme options from `window.__ddMuiV6Themes`, which
 * Docker Desktop injects into extension pages. The standalone dashboard has no Docker Desktop,
 * so it installs this close approximation of Docker Desktop's look (same palette and shapes)
 * when the real one is absent.
 */
import type { ThemeOptions } from '@mui/material';

const docker = {
  blue: { 100: '#e5f2fc', 200: '#c0e0fa', 300: '#8fc7f7', 400: '#5eacf1', 500: '#2c8ae8', 600: '#1d63ed', 700: '#0e47b8', 800: '#082d77' },
  grey: { 100: '#f4f4f6', 200: '#e1e2e6', 300: '#c4c8d1', 400: '#8993a5', 500: '#6c7e9d', 600: '#505f79', 700: '#394150', 800: '#27282c' },
  green: { 100: '#e7f6ed', 200: '#b6e2c6', 300: '#7ecb9a', 400: '#3fb06b', 500: '#1a9e4f', 600: '#107a3b', 700: '#0b5b2c', 800: '#063c1c' },
  red: { 100: '#fdeaea', 200: '#f8c0c0', 300: '#f28b8b', 400: '#eb5656', 500: '#e02424', 600: '#b81c1c', 700: '#8c1515', 800: '#5e0e0e' },
  amber: { 100: '#fff4dc', 200: '#ffe0a1', 300: '#ffc95c', 400: '#ffb01a', 500: '#f29900', 600: '#c27a00', 700: '#915c00', 800: '#613d00' },
  violet: { 100: '#f1ebfd', 200: '#d6c6f9', 300: '#b79af4', 400: '#976eef', 500: '#7a45ea', 600: '#5f2dcc', 700: '#47219a', 800: '#2f1666' },
};

function options(mode: 'light' | 'dark'): ThemeOptions {
  const dark = mode === 'dark';
  return {
    palette: {
      mode,
      primary: { main: dark ? docker.blue[400] : docker.blue[600], contrastText: '#fff' },
      secondary: { main: docker.violet[dark ? 400 : 600] },
      success: { main: docker.green[dark ? 400 : 600] },
      error: { main: docker.red[dark ? 400 : 600] },
      warning: { main: docker.amber[dark ? 400 : 600] },
      info: { main: docker.blue[dark ? 300 : 700] },
      background: { default: dark ? '#202124' : '#f4f4f6', paper: dark ? '#27282c' : '#ffffff' },
      divider: dark ? 'rgba(255,255,255,0.12)' : 'rgba(0,0,0,0.12)',
      text: dark ? { primary: '#e9eaec', secondary: '#a8aeb9' } : { primary: '#17191e', secondary: '#505f79' },
      // @ts-expect-error Docker's theme adds a `docker` palette (see the package's ThemeOptionsBag).
      docker,
    },
    shape: { borderRadius: 4 },
    typography: {
      fontFamily: '"Roboto", "Helvetica Neue", Arial, sans-serif',
      fontSize: 14,
      button: { textTransform: 'none', fontWeight: 600 },
      h1: { fontSize: 22, fontWeight: 500 },
      h2: { fontSize: 18, fontWeight: 500 },
      h3: { fontSize: 16, fontWeight: 500 },
    },
    components: {
      MuiButton: { defaultProps: { disableElevation: true } },
      MuiCard: { defaultProps: { variant: 'outlined' } },
      MuiPaper: { defaultProps: { elevation: 0 } },
      MuiTooltip: { defaultProps: { arrow: true } },
    },
  };
}

export function installFallbackTheme(): void {
  const w = window as unknown as { __ddMuiV6Themes?: unknown };
  if (!w.__ddMuiV6Themes) w.__ddMuiV6Themes = { light: options('light'), dark: options('dark') };
}
