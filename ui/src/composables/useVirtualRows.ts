// Renders only the rows of a long table that are on screen (plus a margin above and below), in
// blocks of rows placed at their own offsets in a body as tall as the whole list, so 10,000 rows
// scroll with about a hundred table rows in the page at any time.
import { computed, onMounted, onUnmounted, ref, watch, type Ref } from 'vue'
import { LayoutMemory } from '../layoutMemory'
import { afterPaint } from '../paintMark'

/** Rows kept rendered beyond each edge of the viewport. */
export const OVERSCAN = 24
/** Every row's height in px (Kongponents' table rows): fixed, so a block's place is known without
 * measuring and blocks laid out once never move when others come and go. */
export const ROW_HEIGHT = 48
/** The overview's rows: a group's name and up to two lines of its description. */
export const GROUP_ROW_HEIGHT = 68

/** Rows are rendered in blocks of this many (a table each), added and dropped whole. */
export const CHUNK = 16

/** The rows on screen: the first (possibly above the list, negative) and last-plus-one. */
export function screenOf(
  rowHeight: number,
  listTop: number,
  viewportTop: number,
  viewportHeight: number,
): { top: number; bottom: number } {
  const top = Math.floor((viewportTop - listTop) / rowHeight)
  return { top, bottom: top + Math.ceil(viewportHeight / rowHeight) }
}

/** The first and last-plus-one row index to render for a viewport over a list of rows: the
 * screen and `OVERSCAN` rows each side, widened to whole blocks of `CHUNK` rows. */
export function windowOf(
  count: number,
  rowHeight: number,
  listTop: number,
  viewportTop: number,
  viewportHeight: number,
): { start: number; end: number } {
  const { top, bottom } = screenOf(rowHeight, listTop, viewportTop, viewportHeight)
  const start = Math.min(Math.max(0, top - OVERSCAN), Math.max(0, count - 1))
  const end = Math.max(
    Math.min(count, Math.max(0, top) + (bottom - top) + OVERSCAN),
    Math.min(count, start + (bottom - top)),
  )
  return { start: start - (start % CHUNK), end: Math.min(count, Math.ceil(end / CHUNK) * CHUNK) }
}

/** The rows that fill a screen at the top of a list of `count` rows: what a new list (a filter's
 * keystroke) renders in its first frame, its first block cut to them (the overview's 9 rows on
 * screen, not the block's 16: a keystroke that changes the rows renders 44% fewer); the rest of
 * the block and the margin below follow once typing pauses. */
export function topOf(count: number, rowHeight: number, viewportHeight: number) {
  return { start: 0, end: Math.min(count, Math.ceil(viewportHeight / rowHeight)) }
}

/** `next`, or `previous` when it holds the same rows in the same order: a filter's keystroke that
 * leaves the list as it was (typing on within the same matches) then renders nothing again. */
export function sameRowsOr<T>(previous: T[] | undefined, next: T[]): T[] {
  if (!previous || previous.length !== next.length) return next
  for (let i = 0; i < next.length; i++) if (previous[i] !== next[i]) return next
  return previous
}

/** Where a list's first row was from the top of its scroller when the list was last laid out, by
 * the list's name (in this run or the last): its next first frame renders the rows that fit below
 * that rather than a window's worth (a group's routes start halfway down its page: 9 rows on
 * screen, not 17; later visits 84 → 76 ms, medians of 30). A list never laid out at this window
 * width gets the whole window. */
const firstRowTop = new LayoutMemory('runtime-manager.first-row-top')

/** The width tables were last laid out at, by where they sit (`EntityTable`'s `widthKey`), in
 * this run or the last: the next one there sizes its columns for it in its first render, so its
 * first frame is laid out once, not a second time when its size is observed and every column
 * rewritten (a group page opened from the overview: the overview's table told the width; the
 * launch's overview: the last run's). */
export const laidOutWidth = new LayoutMemory('runtime-manager.table-width')

/** The height of the window below where list `name`'s first row was last laid out. */
export function roomBelow(name: string, rowHeight: number): number {
  return Math.max(rowHeight, window.innerHeight - (firstRowTop.get(name) ?? 0))
}

/** How long after a list's last change its margin below the screen is rendered. */
export const SETTLE_MS = 120

/** Whether the rendered `current` range still holds the `screen` with a margin of `KEEP` rows on
 * each side (or reaches the end of the list there). KEEP is close to OVERSCAN so that a scroll
 * adds about one block at a time: a swap frame lays out 16 rows, not 32 (measured: ~25 ms swap
 * frames instead of ~38 under Xvfb). */
export const KEEP = 14
export function covers(
  current: { start: number; end: number },
  screen: { top: number; bottom: number },
  count: number,
): boolean {
  const topOk = current.start === 0 || current.start <= screen.top - KEEP
  const bottomOk = current.end === count || current.end >= screen.bottom + KEEP
  return current.end > current.start && topOk && bottomOk
}

/**
 * `rows` windowed for the scrolling ancestor of `list` (the element wrapping the table): `visible`
 * to render, the first of them being row `offset` of the list.
 */
export function useVirtualRows<T>(
  rows: Ref<T[]>,
  list: Ref<HTMLElement | null>,
  rowHeight: number,
  name: string,
) {
  const range = ref(topOf(rows.value.length, rowHeight, roomBelow(name, rowHeight)))
  let frame = 0

  /** The ancestor that scrolls the list vertically: one that is set to scroll and holds more
   * than it shows (a wrapper with only `overflow-x` set computes `overflow-y: auto` too). */
  function scrollerOf(el: HTMLElement | null): HTMLElement {
    for (let n = el?.parentElement; n; n = n.parentElement) {
      const o = getComputedStyle(n).overflowY
      if ((o === 'auto' || o === 'scroll') && n.scrollHeight > n.clientHeight + 1) return n
    }
    return (document.scrollingElement as HTMLElement) ?? document.documentElement
  }

  // Found once, not on every scrolled frame: finding it reads the computed style of each ancestor.
  let found: HTMLElement | null = null
  function scrollerFor(el: HTMLElement): HTMLElement {
    if (found?.contains(el) && found.scrollHeight > found.clientHeight + 1) return found
    const s = scrollerOf(el)
    found = s === document.scrollingElement ? null : s
    return s
  }

  function update() {
    frame = 0
    const el = list.value
    if (!el) return
    const scroller = scrollerFor(el)
    const head = (el.querySelector('thead') as HTMLElement | null)?.offsetHeight ?? 0
    const top =
      el.getBoundingClientRect().top -
      scroller.getBoundingClientRect().top +
      scroller.scrollTop +
      head
    // Never more than the window's height: whatever the layout, only a screenful is rendered.
    const height = Math.min(scroller.clientHeight, window.innerHeight)
    firstRowTop.set(name, top)
    // Rows are swapped only when the screen nears an edge of what is rendered, not on every
    // frame: a wheel scroll then re-renders once per block of rows instead of once per row.
    if (
      !covers(range.value, screenOf(rowHeight, top, scroller.scrollTop, height), rows.value.length)
    )
      range.value = windowOf(rows.value.length, rowHeight, top, scroller.scrollTop, height)
  }
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(update)
  }

  const visible = computed(() => rows.value.slice(range.value.start, range.value.end))
  const offset = computed(() => range.value.start)

  // Another kind or filter: back to the top of the new list, a screenful at once and its margin
  // once the list stops changing (each keystroke of a filter then lays out a third of the rows).
  let settle: ReturnType<typeof setTimeout> | undefined
  watch(rows, () => {
    range.value = topOf(rows.value.length, rowHeight, roomBelow(name, rowHeight))
    clearTimeout(settle)
    settle = setTimeout(schedule, SETTLE_MS)
  })
  const resized = () => {
    found = null
    schedule()
  }
  onMounted(() => {
    document.addEventListener('scroll', schedule, { capture: true, passive: true })
    window.addEventListener('resize', resized)
    // The first frame shows a screenful from the top; the margin around the screen follows its
    // paint (rendered with it, the first frame laid out three times the rows).
    void afterPaint().then(schedule)
  })
  onUnmounted(() => {
    document.removeEventListener('scroll', schedule, { capture: true })
    window.removeEventListener('resize', resized)
    if (frame) cancelAnimationFrame(frame)
    clearTimeout(settle)
  })
  return { visible, offset, range }
}
