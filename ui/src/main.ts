// Boots the Vue app: Kongponents styles, the router, the root layout.
import { createApp } from 'vue'
import '@kong/kongponents/dist/style.css'
import './fonts.css'
import './styles.css'
import App from './App.vue'
import { router } from './router'

createApp(App).use(router).mount('#app')
performance.mark('app-mounted') // the benchmark's breakdown
