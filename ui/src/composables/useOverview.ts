// The runtime groups overview: cached state first, then a live refresh; create and delete.
import { ref } from 'vue'
import {
  backend as defaultBackend,
  type Backend,
  type ConsoleError,
  type NewRuntimeGroup,
  type Overview,
  type SyncProgress,
  type SyncReport,
} from '../backend'

export function useOverview(backend: Backend = defaultBackend) {
  const overview = ref<Overview | null>(null)
  const refreshing = ref(false)
  const loadError = ref<ConsoleError | null>(null)

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

  async function deleteGroup(id: string) {
    await backend.deleteGroup(id)
    await refresh()
  }

  /** "Sync now": every group and entity, with progress; the overview then shows the cache. */
  const progress = ref<SyncProgress | null>(null)
  const syncing = ref(false)
  async function syncNow(): Promise<SyncReport> {
    syncing.value = true
    progress.value = null
    const stop = await backend.onSyncProgress((p) => (progress.value = p))
    try {
      const report = await backend.syncNow()
      overview.value = await backend.cachedOverview()
      loadError.value = null
      return report
    } finally {
      stop()
      syncing.value = false
    }
  }

  return {
    overview,
    refreshing,
    loadError,
    load,
    refresh,
    createGroup,
    updateGroup,
    deleteGroup,
    progress,
    syncing,
    syncNow,
  }
}
