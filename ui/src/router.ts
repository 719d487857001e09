// Routes of the console; pages are thin and load lazily, but for the overview every launch
// opens on (loading it later would put one more fetch between the page's start and its rows).
import { createRouter, createWebHashHistory } from 'vue-router'
import OverviewPage from './pages/OverviewPage.vue'
import { readFirstRowsAhead } from './composables/useEntityList'

const GroupPage = () => import('./pages/GroupPage.vue')

/** Loads the group page's code ahead of the click that opens one (the overview calls it once
 * its rows are painted): a group's rows then wait for their data alone. */
export function prefetchGroupPage(): void {
  void GroupPage()
}

export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', redirect: '/runtime-groups' },
    {
      path: '/runtime-groups',
      name: 'runtime-groups',
      component: OverviewPage,
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
      component: GroupPage,
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

/** How long a navigation to a group's configuration waits for its first cached rows. */
const READ_AHEAD_MS = 60

// A group's configuration opens with its first rows in its first frame: the navigation waits
// (briefly: the old page stays on screen meanwhile) for them.
router.beforeResolve(async (to) => {
  if (to.name !== 'runtime-group' || to.hash !== '#configuration') return
  const kind = typeof to.query.kind === 'string' ? to.query.kind : undefined
  const rows = readFirstRowsAhead(String(to.params.id), kind)
  await Promise.race([rows, new Promise((r) => setTimeout(r, READ_AHEAD_MS))])
})
