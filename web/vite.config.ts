// The web UI's build: `npm run build:web` (from the repo root) writes web/dist, which the server serves (src/http/ui.ts).
// `npx vite -c web/vite.config.ts` runs a dev server that proxies the API to a Switchyard on :8080.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  server: { proxy: { '/api': 'http://127.0.0.1:8080', '/hooks': 'http://127.0.0.1:8080' } },
});
