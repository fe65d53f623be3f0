// The console is served by the gateway at /ui/; `npm run dev` proxies the admin API and /v1 to a
// gateway on SWITCHYARD_URL (default http://127.0.0.1:8080).
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const gateway = process.env.SWITCHYARD_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/ui/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 600 },
  server: { proxy: { '/api': gateway, '/v1': gateway, '/anthropic': gateway } },
});
