import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// `npm run dev` proxies the API and the dev login to the console server (make up), so the browser has one origin.
const consoleServer = process.env.BIHUAN_CONSOLE_URL || 'http://127.0.0.1:8100'

export default defineConfig({
  plugins: [vue()],
  server: { proxy: { '/api': consoleServer, '/auth': consoleServer } },
  build: { outDir: 'dist', chunkSizeWarningLimit: 2500, emptyOutDir: true },
})
