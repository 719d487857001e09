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
      // Kongponents' package does not say its modules are free of side effects, so importing one
      // component through its index kept every component (a date picker, drag-and-drop lists) in
      // the code a launch loads. They are: only its stylesheet has an effect.
      treeshake: {
        moduleSideEffects: (id: string) =>
          !id.includes('/@kong/kongponents/dist/') || id.endsWith('.css'),
      },
    },
  },
  test: { environment: 'happy-dom' },
})
