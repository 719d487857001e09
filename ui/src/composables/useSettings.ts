// The app's settings, loaded once and shared by every page: the theme (applied by the shell),
// background refresh, the dashboard's default time frame and which notifications to raise.
import { reactive, ref } from 'vue'
import { asConsoleError, backend } from '../backend'
import type { Settings } from '../bindings/Settings'

/** Until the saved settings arrive: the same defaults the Rust side uses. */
export const appSettings = reactive<Settings>({
  theme: 'system',
  notifications: { instance_out_of_sync: true, certificate_expiring: true, profile_offline: true },
  sync_interval_secs: 30,
  default_time_frame: '15m',
})
const loaded = ref(false)

/** Loads the saved settings (once; later calls reuse them). */
export async function loadSettings(): Promise<Settings> {
  if (!loaded.value) {
    try {
      Object.assign(appSettings, await backend.getSettings())
      loaded.value = true
    } catch {
      // The defaults stand; the settings page says why when it is opened.
    }
  }
  return appSettings
}

/** Takes settings changed elsewhere (the View › Theme menu). */
export function adoptSettings(changed: Settings) {
  Object.assign(appSettings, changed)
}

/** Milliseconds between background refreshes; 0 when they are off. */
export function refreshInterval(): number {
  return appSettings.sync_interval_secs * 1000
}

/** A plain copy to edit (the shared settings stay as saved until a save succeeds). */
function copy(s: Settings): Settings {
  return JSON.parse(JSON.stringify(s))
}

export function useSettings() {
  const draft = reactive<Settings>(copy(appSettings))
  const errors = ref<Record<string, string>>({})
  const error = ref('')
  const saving = ref(false)
  const savedAt = ref<Date | null>(null)

  async function open() {
    Object.assign(draft, copy(await loadSettings()))
  }

  async function save(): Promise<boolean> {
    saving.value = true
    errors.value = {}
    error.value = ''
    try {
      adoptSettings(await backend.saveSettings(copy(draft)))
      savedAt.value = new Date()
      return true
    } catch (e) {
      const err = asConsoleError(e)
      errors.value = Object.fromEntries(
        Object.entries(err.fields ?? {}).map(([k, v]) => [k, String(v)]),
      )
      if (!Object.keys(errors.value).length) error.value = err.message
      return false
    } finally {
      saving.value = false
    }
  }

  return { settings: appSettings, draft, errors, error, saving, savedAt, open, save }
}
