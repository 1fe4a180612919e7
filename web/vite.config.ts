import { defineConfig } from 'vite';

// Port 5173, the origin docs/WEB.md gives CORS_ORIGINS. Strict: on another port the API's
// CORS would refuse every request, so a taken port stops `npm run web` with its reason.
export default defineConfig({ server: { port: 5173, strictPort: true }, preview: { port: 4173 } });
