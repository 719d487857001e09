// Applying an import: its progress (writes done, Konnect's rate limit) is shown while it runs and
// cleared after, whether it succeeded or failed.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { ImportProgress } from '../backend'
import { useConfigImport } from '../composables/useConfigTransfer'

const { backend } = vi.hoisted(() => ({
  backend: { applyImport: vi.fn(), onImportProgress: vi.fn() },
}))
vi.mock('../backend', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../backend')>()),
  backend,
}))
const { toast } = vi.hoisted(() => ({ toast: vi.fn() }))
vi.mock('../composables/toast', () => ({ toast }))

const waiting: ImportProgress = {
  total: 10000,
  done: 1234,
  rate_limit: {
    concurrency: 2,
    max_concurrency: 8,
    rate_limited_until: '2026-11-30T12:00:12.000Z',
    rate_limited: 40,
  },
}

beforeEach(() => {
  for (const f of Object.values(backend)) f.mockReset()
  toast.mockReset()
})

describe('useConfigImport.apply', () => {
  it('shows the progress events while it applies, then stops listening', async () => {
    const stop = vi.fn()
    let report: (p: ImportProgress) => void = () => {}
    backend.onImportProgress.mockImplementation(async (cb) => {
      report = cb
      return stop
    })
    let finish: (r: unknown) => void = () => {}
    backend.applyImport.mockReturnValue(new Promise((resolve) => (finish = resolve)))
    const imported = vi.fn()
    const i = useConfigImport('g1', () => 'dev', imported)
    i.fileText.value = '_format_version: "3.0"'
    const applying = i.apply()
    await vi.waitFor(() => expect(backend.applyImport).toHaveBeenCalledWith('g1', i.fileText.value))
    report(waiting)
    expect(i.progress.value).toEqual(waiting)
    expect(i.busy.value).toBe(true)
    finish({ created: 10000, updated: 0, deleted: 0 })
    expect(await applying).toBe(true)
    expect(stop).toHaveBeenCalled()
    expect(i.progress.value).toBeNull()
    expect(imported).toHaveBeenCalled()
    expect(toast.mock.calls[0][0].message).toContain('10000 created')
  })

  it('stops listening and says why when the import fails', async () => {
    const stop = vi.fn()
    backend.onImportProgress.mockResolvedValue(stop)
    backend.applyImport.mockRejectedValue({ code: 'rate_limited', message: 'slow down' })
    const i = useConfigImport('g1', () => 'dev', vi.fn())
    expect(await i.apply()).toBe(false)
    expect(i.error.value).toBe('slow down')
    expect(i.progress.value).toBeNull()
    expect(stop).toHaveBeenCalled()
  })
})
