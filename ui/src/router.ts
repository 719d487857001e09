// Routes of the console; pages are thin and load lazily.
import { createRouter, createWebHashHistory } from 'vue-router'

export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', redirect: '/runtime-groups' },
    {
      path: '/runtime-groups',
      name: 'runtime-groups',
      component: () => import('./pages/OverviewPage.vue'),
      meta: { title: 'Runtime groups' },
    },
    {
      path: '/settings',
      name: 'settings',
      component: () => import('./pages/SettingsPage.vue'),
      meta: { title: 'Settings' },
    },
    {
      path: '/compare',
      name: 'compare',
      component: () => import('./pages/ComparePage.vue'),
      meta: { title: 'Compare' },
    },
    {
      path: '/runtime-groups/:id',
      name: 'runtime-group',
      component: () => import('./pages/GroupPage.vue'),
      meta: { title: 'Runtime group' },
    },
    {
      path: '/runtime-groups/:id/:kind/:entityId',
      name: 'entity',
      component: () => import('./pages/entity/EntityPage.vue'),
      meta: { title: 'Entity' },
    },
    {
      path: '/runtime-groups/:id/instances/:nodeId',
      name: 'runtime-instance',
      component: () => import('./pages/InstancePage.vue'),
      meta: { title: 'Runtime instance' },
    },
  ],
})
