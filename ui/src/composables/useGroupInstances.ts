// A runtime group's instances: last seen, version and sync status, read again in the background;
// their order; and starting a new local runtime instance in the group.
import { computed, onMounted, ref } from 'vue'
import { backend, type ConsoleError, type GroupInstances } from '../backend'
import type { RuntimeInstanceRow } from '../backend'
import { useAccess } from './useAccess'
import { useAsyncAction } from './useAsyncAction'
import { usePolling } from './usePolling'
import { refreshInterval } from './useSettings'

export type InstanceSort = { key: 'last_seen' | 'sync'; order: 'asc' | 'desc' }

/** Instances by last seen or by sync status, then by host name. */
export function sortInstances(rows: RuntimeInstanceRow[], sort: InstanceSort) {
  const dir = sort.order === 'asc' ? 1 : -1
  const byKey =
    sort.key === 'sync'
      ? (a: RuntimeInstanceRow, b: RuntimeInstanceRow) => Number(a.in_sync) - Number(b.in_sync)
      : (a: RuntimeInstanceRow, b: RuntimeInstanceRow) => a.last_seen.localeCompare(b.last_seen)
  return [...rows].sort((a, b) => byKey(a, b) * dir || a.hostname.localeCompare(b.hostname))
}

/** The view each group's instances were last seen in: the tab shows it again at once when it
 * is opened anew, while the current one is read. */
const lastSeen = new Map<string, GroupInstances>()

/** A group's instances view, read again at the background refresh interval (Settings); offline,
 * the cached one with why. The instances tab and an instance's own page both read it. */
export function useInstancesView(groupId: string) {
  const view = ref<GroupInstances | null>(lastSeen.get(groupId) ?? null)
  const error = ref('')
  const loading = ref(false)
  const { now } = usePolling(load, refreshInterval)

  async function load() {
    loading.value = true
    try {
      view.value = await backend.groupInstances(groupId)
      lastSeen.set(groupId, view.value)
      error.value = ''
    } catch (e) {
      error.value = (e as ConsoleError).message
    } finally {
      loading.value = false
      now.value = new Date()
    }
  }
  return { view, error, loading, now, load }
}

export function useGroupInstances(groupId: string) {
  const { view, error, loading, now, load } = useInstancesView(groupId)
  const access = useAccess()

  const sort = ref<InstanceSort>({ key: 'last_seen', order: 'desc' })
  const rows = computed(() => sortInstances(view.value?.instances ?? [], sort.value))
  /** KTableView's sort event. */
  function onSort(p: { sortColumnKey: string; sortColumnOrder: string }) {
    sort.value = {
      key: p.sortColumnKey === 'sync' ? 'sync' : 'last_seen',
      order: p.sortColumnOrder === 'asc' ? 'asc' : 'desc',
    }
  }

  /** Local profile: pins a new certificate and starts a real runtime process for this group. */
  const start = useAsyncAction(() => backend.newRuntimeInstance(groupId), {
    failure: 'The runtime instance could not be started',
    success: (started) => {
      // It shows up once it has connected and pinged.
      setTimeout(load, 1000)
      return `Runtime instance ${started.hostname} started; it runs while Runtime Manager is open.`
    },
  })
  const whyNotNewInstance = computed(
    () =>
      access.whyNot(groupId, 'nodes') ||
      (view.value?.offline_reason
        ? `${view.value.offline_reason} A new instance needs the control plane to pin its ` +
          'certificate.'
        : ''),
  )

  onMounted(() => {
    access.reload()
    load()
  })
  return {
    view,
    error,
    loading,
    load,
    now,
    rows,
    sort,
    onSort,
    starting: start.pending,
    startInstance: start.run,
    whyNotNewInstance,
  }
}
