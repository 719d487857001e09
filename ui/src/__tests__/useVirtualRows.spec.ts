import { describe, expect, it } from 'vitest'
import { ref } from 'vue'
import {
  CHUNK,
  KEEP,
  OVERSCAN,
  covers,
  roomBelow,
  sameRowsOr,
  screenOf,
  topOf,
  useVirtualRows,
  windowOf,
} from '../composables/useVirtualRows'
import { withSetup } from './withSetup'

describe('windowOf', () => {
  it('renders the rows on screen and a margin in whole blocks, never the whole list', () => {
    // 10,000 rows of 48 px, list starting 200 px down, viewport of 800 px.
    expect(windowOf(10_000, 48, 200, 0, 800)).toEqual({ start: 0, end: 48 })
    const deep = windowOf(10_000, 48, 200, 200 + 48 * 5_000, 800)
    expect(deep.start % CHUNK).toBe(0)
    expect(deep.end % CHUNK).toBe(0)
    expect(deep.start).toBeLessThanOrEqual(5_000 - OVERSCAN)
    expect(deep.start).toBeGreaterThan(5_000 - OVERSCAN - CHUNK)
    expect(deep.end).toBeGreaterThanOrEqual(5_000 + 17 + OVERSCAN)
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
    const rendered = windowOf(10_000, 48, 0, 48 * 1_000, 800) // rows 976..1048
    const at = (row: number) => screenOf(48, 0, 48 * row, 800)
    expect(covers(rendered, at(1_005), 10_000)).toBe(true)
    // A recompute comes while the margin is still KEEP rows, and adds about one block.
    expect(OVERSCAN - KEEP).toBeLessThanOrEqual(CHUNK)
    expect(covers(rendered, at(1_035), 10_000)).toBe(false)
    expect(covers(rendered, at(900), 10_000)).toBe(false)
    expect(covers({ start: 0, end: 0 }, at(0), 10_000)).toBe(false)
    expect(covers(windowOf(10_000, 48, 0, 0, 800), at(0), 10_000)).toBe(true)
  })
})

describe('topOf', () => {
  it('renders the rows that fill a screen, fewer than with the margin', () => {
    // 800 px of 68 px rows: 12 rows on screen, not their block's 16.
    expect(topOf(500, 68, 800)).toEqual({ start: 0, end: 12 })
    // 800 px of 48 px rows: 17 rows, not two blocks' 32.
    expect(topOf(10_000, 48, 800)).toEqual({ start: 0, end: 17 })
    expect(topOf(5, 48, 800)).toEqual({ start: 0, end: 5 })
    expect(topOf(10_000, 48, 800).end).toBeLessThan(windowOf(10_000, 48, 0, 0, 800).end)
    // Once settled, the margin follows where a screenful leaves less than KEEP rows below.
    expect(covers(topOf(500, 68, 800), screenOf(68, 0, 0, 800), 500)).toBe(false)
  })
})

describe('sameRowsOr', () => {
  it('keeps the list it had when a filter leaves the same rows in the same order', () => {
    const [a, b, c] = [{ id: 'a' }, { id: 'b' }, { id: 'c' }]
    const before = [a, b, c]
    expect(sameRowsOr(before, [a, b, c])).toBe(before)
    expect(sameRowsOr(before, [a, c, b])).not.toBe(before)
    expect(sameRowsOr(before, [a, b])).not.toBe(before)
    // Equal rows that are other objects (a refreshed list) are new rows.
    expect(sameRowsOr(before, [a, b, { id: 'c' }])).not.toBe(before)
    expect(sameRowsOr(undefined, before)).toBe(before)
  })
})

describe('useVirtualRows', () => {
  it("renders a list's next first frame for the room below where its first row was", async () => {
    const rows = ref(Array.from({ length: 10_000 }, (_, i) => i))
    const list = ref<HTMLElement | null>(null)
    // Not laid out yet in this run: a window's worth (20 px rows).
    expect(roomBelow('probe-list', 20)).toBe(window.innerHeight)
    const first = withSetup(() => useVirtualRows(rows, list, 20, 'probe-list'))
    expect(first.result.range.value).toEqual(topOf(10_000, 20, window.innerHeight))
    const el = document.createElement('div')
    document.body.appendChild(el)
    el.getBoundingClientRect = () => ({ top: window.innerHeight - 170 }) as DOMRect
    list.value = el
    // Laid out once the first frame is painted.
    for (let i = 0; i < 20 && roomBelow('probe-list', 20) === window.innerHeight; i++)
      await new Promise((r) => setTimeout(r, 20))
    first.unmount()
    expect(roomBelow('probe-list', 20)).toBe(170)
    const next = withSetup(() => useVirtualRows(rows, ref(null), 20, 'probe-list'))
    // 9 rows fit below, not the window's 39.
    expect(next.result.range.value).toEqual({ start: 0, end: 9 })
    expect(first.result.range.value.end).toBeGreaterThan(CHUNK)
    next.unmount()
    // Another list keeps its own.
    expect(roomBelow('another-list', 20)).toBe(window.innerHeight)
  })
})
