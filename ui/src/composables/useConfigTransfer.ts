// A group's configuration as a decK file: export (YAML or JSON, saved where the user chooses),
// and import (a file chosen in the system's dialog, or pasted) with a preview of what would
// change before anything is applied, and its progress while it is.
import { ref } from 'vue'
import { backend, type ConsoleError, type ImportPlan, type ImportProgress } from '../backend'
import { toast } from './toast'

export function useConfigExport(groupId: string, groupName: () => string) {
  const format = ref<'yaml' | 'json'>('yaml')
  const text = ref('')
  const error = ref('')
  const savedTo = ref('')

  async function load() {
    error.value = ''
    try {
      text.value = await backend.exportGroup(groupId, format.value)
    } catch (e) {
      error.value = (e as ConsoleError).message
    }
  }

  /** Asks where to save (the system's dialog, suggesting the group's name); cancelling is no
   * error. */
  async function save() {
    try {
      const path = await backend.exportFileDialog(`${groupName()}.${format.value}`, text.value)
      if (path) savedTo.value = path
    } catch (e) {
      error.value = (e as ConsoleError).message
    }
  }

  return { format, text, error, savedTo, load, save }
}

/** `imported` runs after an import was applied (the lists then load again). */
export function useConfigImport(groupId: string, groupName: () => string, imported: () => void) {
  const fileText = ref('')
  /** What is wrong with the file itself (said on the file's field). */
  const fileError = ref('')
  const error = ref('')
  const plan = ref<ImportPlan | null>(null)
  const busy = ref(false)
  /** Writes done of those planned, and the rate limit, while an apply runs. */
  const progress = ref<ImportProgress | null>(null)

  function reset() {
    plan.value = null
    fileError.value = ''
    error.value = ''
  }

  async function preview() {
    busy.value = true
    fileError.value = ''
    error.value = ''
    try {
      plan.value = await backend.planImport(groupId, fileText.value)
    } catch (e) {
      const err = e as ConsoleError
      if (err.fields?.file) fileError.value = err.fields.file
      else error.value = err.message
    } finally {
      busy.value = false
    }
  }

  /** Applies the file; true when it was. */
  async function apply(): Promise<boolean> {
    busy.value = true
    error.value = ''
    progress.value = null
    const stop = await backend.onImportProgress((p) => (progress.value = p))
    try {
      const r = await backend.applyImport(groupId, fileText.value)
      toast({
        appearance: 'success',
        message:
          `Imported into ${groupName()}: ${r.created} created, ${r.updated} updated, ` +
          `${r.deleted} deleted.`,
      })
      plan.value = null
      imported()
      return true
    } catch (e) {
      error.value = (e as ConsoleError).message
      return false
    } finally {
      stop()
      progress.value = null
      busy.value = false
    }
  }

  return { fileText, fileError, error, plan, busy, progress, reset, preview, apply }
}
