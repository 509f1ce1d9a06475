import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const coreDir = fileURLToPath(new URL('../backend/src/core', import.meta.url));
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

// During `vite dev`, API, events and terminal sockets go to a running paddockd.
const daemon = process.env.PADDOCK_DEV_TARGET ?? 'http://127.0.0.1:7436';

export default defineConfig({
  // Relative asset URLs: the same build is served by paddockd at / and loaded from file:// by Docker Desktop.
  base: './',
  plugins: [react()],
  resolve: {
    alias: { '@core': coreDir },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // xterm + its addons are one lazy chunk (~350 kB); warn only above that.
    chunkSizeWarningLimit: 600,
  },
  server: {
    fs: { allow: [repoRoot] },
    // paddockd answers only to Host 127.0.0.1:<port> / localhost:<port>, hence changeOrigin.
    proxy: {
      '/api': { target: daemon, ws: true, changeOrigin: true },
      '/login': { target: daemon, changeOrigin: true },
    },
  },
});
