// Settings over a mocked shell: the certificate notification saved with the others, where the
// data and the logs live with buttons that open them, and "Reset local data" behind a
// confirmation that says what is kept, then a reload on the overview.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import SettingsPage from '../pages/SettingsPage.vue'

const { backend } = vi.hoisted(() => ({
  backend: {
    getSettings: vi.fn(),
    saveSettings: vi.fn(),
    dataLocations: vi.fn(),
    openDataFolder: vi.fn(),
    resetLocalData: vi.fn(),
  },
}))
vi.mock('../backend', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../backend')>()),
  backend,
}))
vi.mock('../composables/toast', () => ({ toast: vi.fn() }))

const SETTINGS = {
  theme: 'system',
  notifications: { instance_out_of_sync: true, certificate_expiring: true, profile_offline: true },
  sync_interval_secs: 30,
  default_time_frame: '15m',
}
const LOCATIONS = {
  data_dir: '/home/ada/.local/share/com.example.runtime-manager',
  cache_file: '/home/ada/.local/share/com.example.runtime-manager/cache.sqlite',
  log_dir: '/home/ada/.local/share/com.example.runtime-manager/logs',
}

const $ = (testid: string) => document.querySelector(`[data-testid="${testid}"]`) as HTMLElement
let wrapper: VueWrapper | null = null
let reload: ReturnType<typeof vi.fn<() => void>>

async function open() {
  wrapper = mount(SettingsPage, { attachTo: document.body })
  await flushPromises()
}

beforeEach(() => {
  for (const f of Object.values(backend)) f.mockReset()
  backend.getSettings.mockResolvedValue(structuredClone(SETTINGS))
  backend.saveSettings.mockImplementation(async (s) => s)
  backend.dataLocations.mockResolvedValue(LOCATIONS)
  backend.openDataFolder.mockResolvedValue(undefined)
  backend.resetLocalData.mockResolvedValue(undefined)
  reload = vi.fn<() => void>()
  vi.spyOn(window.location, 'reload').mockImplementation(reload)
})
afterEach(() => {
  wrapper?.unmount()
  wrapper = null
  vi.restoreAllMocks()
})

describe('SettingsPage', () => {
  it('offers the certificate notification and saves it turned off', async () => {
    await open()
    // Kongponents puts the test id on the checkbox's input.
    const box = document.querySelector(
      'input[data-testid="settings-notify-certificate"], [data-testid="settings-notify-certificate"] input',
    ) as HTMLInputElement
    expect(box.checked).toBe(true)
    expect(document.body.textContent).toContain('expires within 30 days')
    box.click()
    await flushPromises()
    $('settings-save').click()
    await flushPromises()
    expect(backend.saveSettings).toHaveBeenCalledOnce()
    expect(backend.saveSettings.mock.calls[0][0].notifications).toEqual({
      instance_out_of_sync: true,
      certificate_expiring: false,
      profile_offline: true,
    })
  })

  it('shows where the data and the logs live and opens each folder by name', async () => {
    await open()
    expect($('settings-data-dir').textContent).toBe(LOCATIONS.data_dir)
    expect($('settings-log-dir').textContent).toBe(LOCATIONS.log_dir)
    $('settings-open-data-folder').click()
    $('settings-open-log-folder').click()
    await flushPromises()
    expect(backend.openDataFolder.mock.calls).toEqual([['data'], ['logs']])
  })

  it('says why a folder did not open', async () => {
    backend.openDataFolder.mockRejectedValue({
      code: 'local',
      message: 'Cannot open /x: no file manager',
      fields: {},
    })
    await open()
    $('settings-open-data-folder').click()
    await flushPromises()
    expect($('settings-folder-error').textContent).toContain('no file manager')
  })

  it('resets only after the confirmation, which says what is kept, then reloads', async () => {
    await open()
    expect($('settings-reset-prompt')).toBeNull()
    $('settings-reset').click()
    await flushPromises()
    const prompt = $('settings-reset-prompt')
    expect(prompt.textContent).toContain('tokens in the system keyring')
    expect(prompt.textContent).toContain('embedded control plane')
    expect(backend.resetLocalData).not.toHaveBeenCalled()
    ;(prompt.querySelector('[data-testid="modal-cancel-button"]') as HTMLElement).click()
    await flushPromises()
    expect(backend.resetLocalData).not.toHaveBeenCalled()

    $('settings-reset').click()
    await flushPromises()
    const action = $('settings-reset-prompt').querySelector(
      '[data-testid="modal-action-button"]',
    ) as HTMLElement
    expect(action.textContent).toContain('Reset and reload')
    action.click()
    await flushPromises()
    expect(backend.resetLocalData).toHaveBeenCalledOnce()
    expect(window.location.hash).toBe('#/runtime-groups')
    expect(reload).toHaveBeenCalledOnce()
  })

  it('keeps the dialog open with the reason when the reset fails, and does not reload', async () => {
    backend.resetLocalData.mockRejectedValue({
      code: 'local',
      message: 'The local cache failed: disk I/O error',
      fields: {},
    })
    await open()
    $('settings-reset').click()
    await flushPromises()
    ;(
      $('settings-reset-prompt').querySelector('[data-testid="modal-action-button"]') as HTMLElement
    ).click()
    await flushPromises()
    expect($('settings-reset-error').textContent).toContain(
      'The local data was not reset: The local cache failed: disk I/O error',
    )
    expect(reload).not.toHaveBeenCalled()
  })
})
