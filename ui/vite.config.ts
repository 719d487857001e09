/// <reference types="vitest/config" />
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// Tauri serves the built files from the app bundle: relative base, fixed dev port.
export default defineConfig({
  plugins: [vue()],
  base: './',
  clearScreen: false,
  server: { port: 1420, strictPort: true },
  build: {
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      // Kongponents' and Kong's icons' packages do not say their modules are free of side
      // effects, so importing one component through an index kept every component (a date picker,
      // drag-and-drop lists, a thousand icons) in the code a launch loads. They are: only their
      // stylesheets have an effect.
      treeshake: {
        moduleSideEffects: (id: string) =>
          !/\/@kong\/(kongponents|icons)\/dist\//.test(id) || id.endsWith('.css'),
      },
    },
  },
  test: { environment: 'happy-dom' },
})
