// usePolling: ticks at the interval it is given, read anew each time; 0 pauses the ticks but
// not the clock.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { usePolling } from '../composables/usePolling'
import { withSetup } from './withSetup'

describe('usePolling', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('ticks at the interval read each time, and not at all when it is 0', () => {
    let every = 5000
    const tick = vi.fn()
    const { result, unmount } = withSetup(() => usePolling(tick, () => every))
    vi.advanceTimersByTime(4900)
    expect(tick).not.toHaveBeenCalled()
    vi.advanceTimersByTime(200)
    expect(tick).toHaveBeenCalledTimes(1)
    every = 0
    const before = result.now.value
    vi.advanceTimersByTime(60000)
    expect(tick).toHaveBeenCalledTimes(1)
    expect(result.now.value.getTime()).toBeGreaterThan(before.getTime())
    every = 1000
    vi.advanceTimersByTime(1000)
    expect(tick).toHaveBeenCalledTimes(2)
    unmount()
    vi.advanceTimersByTime(10000)
    expect(tick).toHaveBeenCalledTimes(2)
  })
})
