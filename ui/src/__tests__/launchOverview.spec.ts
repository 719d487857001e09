// The launch's cached overview, asked for by index.html: the first caller takes it, later callers
// ask Rust anew, and a failed early ask is asked again through the typed wrapper.
import { afterEach, describe, expect, it, vi } from 'vitest'

const invoke = vi.fn()
vi.mock('@tauri-apps/api/core', () => ({ invoke: (...args: unknown[]) => invoke(...args) }))

const { backend } = await import('../backend')
const page = window as { __rmLaunchOverview?: Promise<unknown>; __rmLaunchOverviewIn?: unknown }

describe('the launch overview', () => {
  afterEach(() => {
    invoke.mockReset()
    page.__rmLaunchOverview = page.__rmLaunchOverviewIn = undefined
  })

  it('is taken by the first caller, and later calls ask anew', async () => {
    page.__rmLaunchOverview = Promise.resolve({ groups: ['asked early'] })
    invoke.mockResolvedValue({ groups: ['asked now'] })
    expect(await backend.cachedOverview()).toEqual({ groups: ['asked early'] })
    expect(invoke).not.toHaveBeenCalled()
    expect(await backend.cachedOverview()).toEqual({ groups: ['asked now'] })
    expect(invoke).toHaveBeenCalledWith('cached_overview', undefined)
  })

  it('is taken at once when it has arrived, and only once', async () => {
    expect(backend.launchOverviewIn()).toBeUndefined()
    page.__rmLaunchOverview = Promise.resolve({ groups: ['asked early'] })
    page.__rmLaunchOverviewIn = { groups: ['asked early'] }
    expect(backend.launchOverviewIn()).toEqual({ groups: ['asked early'] })
    expect(backend.launchOverviewIn()).toBeUndefined()
    invoke.mockResolvedValue({ groups: ['asked now'] })
    expect(await backend.cachedOverview()).toEqual({ groups: ['asked now'] })
  })

  it('asks again through the wrapper when the early ask failed', async () => {
    page.__rmLaunchOverview = Promise.reject(new Error('unknown command cached_overview'))
    invoke.mockResolvedValue({ groups: ['asked again'] })
    expect(await backend.cachedOverview()).toEqual({ groups: ['asked again'] })
    expect(invoke).toHaveBeenCalledWith('cached_overview', undefined)
  })

  it('reports a failure of the second ask as a ConsoleError', async () => {
    page.__rmLaunchOverview = Promise.reject(new Error('refused'))
    invoke.mockRejectedValue({ code: 'cache', message: 'the cache is corrupt' })
    await expect(backend.cachedOverview()).rejects.toEqual({
      code: 'cache',
      message: 'the cache is corrupt',
      fields: {},
    })
  })
})
