import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { installFallbackTheme } from './app/theme-fallback';
import { startPaddock } from './state/store';
import { createTransport } from './transport/create-transport';

installFallbackTheme();
startPaddock(createTransport());
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
