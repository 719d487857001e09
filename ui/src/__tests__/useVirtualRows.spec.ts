import { describe, expect, it } from 'vitest'
import { windowOf } from '../composables/useVirtualRows'

describe('windowOf', () => {
  it('renders the rows on screen and a margin, never the whole list', () => {
    // 10,000 rows of 48 px, list starting 200 px down, viewport of 800 px.
    expect(windowOf(10_000, 48, 200, 0, 800)).toEqual({ start: 0, end: 47 })
    const deep = windowOf(10_000, 48, 200, 200 + 48 * 5_000, 800)
    expect(deep.start).toBe(5_000 - 30)
    expect(deep.end).toBe(5_000 + 17 + 30)
    expect(deep.end - deep.start).toBeLessThan(100)
  })

  it('stops at the ends of the list', () => {
    const bottom = windowOf(10_000, 48, 0, 48 * 10_000, 800)
    expect(bottom.end).toBe(10_000)
    expect(bottom.start).toBeLessThan(10_000)
    expect(windowOf(5, 48, 0, 0, 800)).toEqual({ start: 0, end: 5 })
    expect(windowOf(0, 48, 0, 0, 800)).toEqual({ start: 0, end: 0 })
  })
})
