// Where the app keeps its data and its log files (Settings shows both, each with a button that
// opens it), and "Reset local data": the cache emptied after a confirmation, then the app
// reloaded on the overview as on a first run, which syncs again from the API.
import { ref } from 'vue'
import { asConsoleError, backend } from '../backend'
import type { DataFolder } from '../bindings/DataFolder'
import type { DataLocations } from '../bindings/DataLocations'
import { useConfirmDelete } from './useConfirmDelete'

/** Starts the page afresh on the overview: what every page held in memory goes with it. */
export function reloadOnOverview() {
  window.location.hash = '#/runtime-groups'
  window.location.reload()
}

export function useLocalData(reload: () => void = reloadOnOverview) {
  const locations = ref<DataLocations | null>(null)
  /** Why the folders could not be read or opened ('' while all is well). */
  const error = ref('')

  async function load() {
    try {
      locations.value = await backend.dataLocations()
    } catch (e) {
      error.value = asConsoleError(e).message
    }
  }

  async function openFolder(folder: DataFolder) {
    error.value = ''
    try {
      await backend.openDataFolder(folder)
    } catch (e) {
      error.value = asConsoleError(e).message
    }
  }

  // The dialog stays open with the reason if the reset fails; on success the reload follows.
  const reset = useConfirmDelete(
    async () => {
      await backend.resetLocalData()
      reload()
    },
    { failure: 'The local data was not reset' },
  )

  return { locations, error, load, openFolder, reset }
}
