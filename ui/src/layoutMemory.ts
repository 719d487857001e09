// Layout measurements by name, kept across launches in the page's storage, so that a launch's
// first frames are laid out as the last run's were: a list renders the screenful below where its
// first row starts, not a window's worth of rows, and a table sizes its columns for its width in
// its first render, not again once its width is first observed.

/** How long after a change the measurements are written (scrolling moves them every frame). */
export const SAVE_AFTER_MS = 1000

interface Saved {
  windowWidth: number
  values: Record<string, unknown>
}

/** Measurements by name, each kind under its own storage key. Those of another window width are
 * not used: the page's layout (where a list starts, how wide a table is) follows the width. */
export class LayoutMemory {
  private readonly values: Map<string, number>
  private saving: ReturnType<typeof setTimeout> | undefined

  constructor(private readonly key: string) {
    this.values = new Map(Object.entries(this.load()))
  }

  get(name: string): number | undefined {
    return this.values.get(name)
  }

  set(name: string, value: number): void {
    if (this.values.get(name) === value) return
    this.values.set(name, value)
    clearTimeout(this.saving)
    this.saving = setTimeout(() => this.save(), SAVE_AFTER_MS)
  }

  private load(): Record<string, number> {
    try {
      const saved = JSON.parse(localStorage.getItem(this.key) ?? 'null') as Saved | null
      if (!saved || saved.windowWidth !== window.innerWidth) return {}
      const valid = Object.entries(saved.values ?? {}).filter(
        (e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]),
      )
      return Object.fromEntries(valid)
    } catch {
      return {} // unreadable (or no storage): measured anew in this run
    }
  }

  private save(): void {
    const saved: Saved = { windowWidth: window.innerWidth, values: Object.fromEntries(this.values) }
    try {
      localStorage.setItem(this.key, JSON.stringify(saved))
    } catch {
      // Storage full or turned off: the next launch measures anew.
    }
  }
}
