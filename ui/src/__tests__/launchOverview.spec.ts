// The launch's cached overview, asked for by index.html: the first caller takes it, later callers
// ask Rust anew, and its error arrives as a ConsoleError.
import { afterEach, describe, expect, it, vi } from 'vitest'

const invoke = vi.fn()
vi.mock('@tauri-apps/api/core', () => ({ invoke: (...args: unknown[]) => invoke(...args) }))

const { backend } = await import('../backend')
const page = window as { __rmLaunchOverview?: Promise<unknown> }

describe('the launch overview', () => {
  afterEach(() => {
    invoke.mockReset()
    page.__rmLaunchOverview = undefined
  })

  it('is taken by the first caller, and later calls ask anew', async () => {
    page.__rmLaunchOverview = Promise.resolve({ groups: ['asked early'] })
    invoke.mockResolvedValue({ groups: ['asked now'] })
    expect(await backend.cachedOverview()).toEqual({ groups: ['asked early'] })
    expect(invoke).not.toHaveBeenCalled()
    expect(await backend.cachedOverview()).toEqual({ groups: ['asked now'] })
    expect(invoke).toHaveBeenCalledWith('cached_overview', undefined)
  })

  it('reports a failure as a ConsoleError', async () => {
    page.__rmLaunchOverview = Promise.reject({ code: 'cache', message: 'the cache is corrupt' })
    await expect(backend.cachedOverview()).rejects.toEqual({
      code: 'cache',
      message: 'the cache is corrupt',
      fields: {},
    })
  })
})
