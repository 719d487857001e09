import { describe, expect, it } from 'vitest'
import { covers, windowOf } from '../composables/useVirtualRows'

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

describe('covers', () => {
  it('keeps what is rendered while the screen stays well inside it', () => {
    const rendered = windowOf(10_000, 48, 0, 48 * 1_000, 800) // rows 970..1047
    expect(covers(rendered, windowOf(10_000, 48, 0, 48 * 1_005, 800), 10_000)).toBe(true)
    expect(covers(rendered, windowOf(10_000, 48, 0, 48 * 1_025, 800), 10_000)).toBe(false)
    expect(covers(rendered, windowOf(10_000, 48, 0, 48 * 900, 800), 10_000)).toBe(false)
    expect(covers({ start: 0, end: 0 }, windowOf(10_000, 48, 0, 0, 800), 10_000)).toBe(false)
  })
})
