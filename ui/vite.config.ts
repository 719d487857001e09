/// <reference types="vitest/config" />
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// Tauri serves the built files from the app bundle: relative base, fixed dev port.
export default defineConfig({
  plugins: [vue()],
  base: './',
  clearScreen: false,
  server: { port: 1420, strictPort: true },
  build: { chunkSizeWarningLimit: 1200 },
  test: { environment: 'happy-dom' },
})
