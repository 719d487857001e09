// The runtime groups overview: the cached state at once, then a live refresh (again every 15 s);
// the filter over the groups; "Sync now" with its progress; create and edit; what may be changed.
import { computed, onMounted, ref } from 'vue'
import {
  backend,
  type ConsoleError,
  type NewRuntimeGroup,
  type Overview,
  type RuntimeGroupRow,
  type SyncProgress,
  type SyncReport,
} from '../backend'
import type { Toast } from './toast'
import { useAccess } from './useAccess'
import { useAsyncAction } from './useAsyncAction'
import { usePolling } from './usePolling'
import { refreshInterval } from './useSettings'

/** Every word must appear in the group's name, ID, description or one of its labels. */
export function filterGroups(groups: RuntimeGroupRow[], filter: string): RuntimeGroupRow[] {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean)
  return groups.filter((g) => {
    const labels = Object.entries(g.labels).map(([k, v]) => `${k}:${v}`)
    const hay = [g.name, g.id, g.description, ...labels].join(' ').toLowerCase()
    return words.every((w) => hay.includes(w))
  })
}

/** What a finished sync says: cancelled, partly failed, or every group with its figures. */
export function syncSummary(r: SyncReport): Toast {
  const p = r.progress
  if (r.cancelled)
    return {
      appearance: 'warning',
      message:
        `Sync cancelled: ${p.groups_done} of ${p.groups_total} groups were updated; ` +
        'the others keep their last synced state.',
    }
  if (r.failed.length)
    return {
      appearance: 'warning',
      message:
        `Synced ${p.groups_done - r.failed.length} of ${p.groups_total} groups; ` +
        `${r.failed.length} failed: ${r.failed.map(([, why]) => why).join('; ')}`,
    }
  return {
    appearance: 'success',
    message:
      `Synced ${p.groups_total} groups: ${p.groups_total - p.groups_unchanged} fetched with ` +
      `${p.entities_done.toLocaleString()} entities, ${p.groups_unchanged} unchanged since the ` +
      'last sync.',
  }
}

const NO_CREATOR =
  'Your token may not create runtime groups: that takes the Creator role or the Organization ' +
  'Admin team.'

export function useOverview() {
  const overview = ref<Overview | null>(null)
  const refreshing = ref(false)
  const loadError = ref<ConsoleError | null>(null)
  const access = useAccess()

  async function refresh() {
    refreshing.value = true
    try {
      overview.value = await backend.refreshOverview()
      loadError.value = null
    } catch (e) {
      loadError.value = e as ConsoleError
    } finally {
      refreshing.value = false
    }
  }

  /** Shows what the cache holds at once, then asks the control plane for the current state. */
  async function load() {
    try {
      overview.value = await backend.cachedOverview()
    } catch (e) {
      loadError.value = e as ConsoleError
    }
    await refresh()
  }

  const filter = ref('')
  const rows = computed(() => filterGroups(overview.value?.groups ?? [], filter.value))

  async function createGroup(form: NewRuntimeGroup) {
    const row = await backend.createGroup(form)
    await refresh()
    return row
  }

  async function updateGroup(id: string, form: NewRuntimeGroup) {
    const row = await backend.updateGroup(id, form)
    await refresh()
    return row
  }

  /** Offline, nothing can change (and nothing is queued); online, the token's roles decide. */
  const offlineWhy = computed(() =>
    overview.value?.offline_reason
      ? `Offline since the last sync: ${overview.value.offline_reason}. ` +
        'Changes need the control plane; nothing is queued.'
      : '',
  )
  const whyNotCreate = computed(
    () => offlineWhy.value || (access.canCreateGroups() ? '' : NO_CREATOR),
  )
  const whyNotChange = (row: RuntimeGroupRow) => offlineWhy.value || access.whyNot(row.id, 'group')

  /** "Sync now": every group and entity, with progress; the overview then shows the cache. */
  const progress = ref<SyncProgress | null>(null)
  async function syncAll(): Promise<SyncReport> {
    progress.value = null
    const stop = await backend.onSyncProgress((p) => (progress.value = p))
    try {
      const report = await backend.syncNow()
      overview.value = await backend.cachedOverview()
      loadError.value = null
      access.reload()
      return report
    } finally {
      stop()
    }
  }
  const sync = useAsyncAction(syncAll, { success: syncSummary, failure: 'Sync failed' })
  const cancelSync = () => backend.cancelSync()

  onMounted(() => load().then(() => access.reload()))
  // Instance counts move while the window is open; keep them current.
  const { now } = usePolling(refresh, refreshInterval)

  return {
    overview,
    refreshing,
    loadError,
    load,
    refresh,
    now,
    filter,
    rows,
    createGroup,
    updateGroup,
    whyNotCreate,
    whyNotChange,
    progress,
    syncing: sync.pending,
    syncNow: sync.run,
    cancelSync,
  }
}
