import { defineConfig } from 'vite';

// Port 5173, the origin docs/WEB.md gives CORS_ORIGINS; another one if it is taken.
export default defineConfig({ server: { port: 5173 }, preview: { port: 4173 } });
