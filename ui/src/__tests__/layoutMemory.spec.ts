import { afterEach, describe, expect, it, vi } from 'vitest'
import { LayoutMemory, SAVE_AFTER_MS } from '../layoutMemory'

describe('LayoutMemory', () => {
  afterEach(() => {
    vi.useRealTimers()
    localStorage.clear()
  })

  it('gives the next launch what this one measured, at the same window width', () => {
    vi.useFakeTimers()
    const run = new LayoutMemory('probe')
    run.set('routes', 382)
    // Written a moment after the last change, not on every scrolled frame.
    expect(localStorage.getItem('probe')).toBeNull()
    vi.advanceTimersByTime(SAVE_AFTER_MS)
    expect(new LayoutMemory('probe').get('routes')).toBe(382)
    expect(new LayoutMemory('another').get('routes')).toBeUndefined()
  })

  it('measures anew at another window width or from unreadable storage', () => {
    const saved = { windowWidth: window.innerWidth + 200, values: { routes: 382 } }
    localStorage.setItem('probe', JSON.stringify(saved))
    expect(new LayoutMemory('probe').get('routes')).toBeUndefined()
    saved.windowWidth = window.innerWidth
    localStorage.setItem('probe', JSON.stringify({ ...saved, values: { routes: 'x', groups: 90 } }))
    const memory = new LayoutMemory('probe')
    expect(memory.get('routes')).toBeUndefined()
    expect(memory.get('groups')).toBe(90)
    localStorage.setItem('probe', '{not json')
    expect(new LayoutMemory('probe').get('groups')).toBeUndefined()
  })
})
