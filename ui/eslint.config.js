// UI lint: Vue's and TypeScript's recommended rules; formatting is Prettier's (width 100).
import pluginVue from 'eslint-plugin-vue'
import { defineConfigWithVueTs, vueTsConfigs } from '@vue/eslint-config-typescript'
import skipFormatting from '@vue/eslint-config-prettier/skip-formatting'

export default defineConfigWithVueTs(
  { ignores: ['dist/**', 'node_modules/**', 'src/bindings/**'] },
  pluginVue.configs['flat/recommended'],
  vueTsConfigs.recommended,
  skipFormatting,
  {
    // Charts are SVG drawn in Rust by plotters, which escapes every text it draws.
    files: ['src/components/GroupDashboard.vue', 'src/pages/ComparePage.vue'],
    rules: { 'vue/no-v-html': 'off' },
  },
)
