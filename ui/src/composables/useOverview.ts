// The runtime groups overview: cached state first, then a live refresh; create and delete.
import { ref } from 'vue'
import { backend as defaultBackend, type Backend, type ConsoleError, type NewRuntimeGroup, type Overview } from '../backend'

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

  async function deleteGroup(id: string) {
    await backend.deleteGroup(id)
    await refresh()
  }

  return { overview, refreshing, loadError, load, refresh, createGroup, deleteGroup }
}
