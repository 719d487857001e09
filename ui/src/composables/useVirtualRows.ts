// Renders only the rows of a long table that are on screen (plus a margin above and below);
// spacers above and below keep the scroll height of the whole list, so 10,000 rows scroll with
// about a hundred table rows in the page at any time.
import { computed, onMounted, onUnmounted, ref, watch, type Ref } from 'vue'

/** Rows kept rendered beyond each edge of the viewport. */
const OVERSCAN = 30
/** A first guess until a rendered row can be measured (Kongponents' table rows). */
const DEFAULT_ROW_HEIGHT = 48

/** The first and last-plus-one row index to render for a viewport over a list of rows. */
export function windowOf(count: number, rowHeight: number, listTop: number, viewportTop: number, viewportHeight: number): { start: number; end: number } {
  const first = Math.floor((viewportTop - listTop) / rowHeight)
  const onScreen = Math.ceil(viewportHeight / rowHeight)
  const start = Math.min(Math.max(0, first - OVERSCAN), Math.max(0, count - 1))
  const end = Math.min(count, Math.max(0, first) + onScreen + OVERSCAN)
  return { start, end: Math.max(end, Math.min(count, start + onScreen)) }
}

/** Whether the rendered `current` range still holds the screen of `next` with a margin of
 * `KEEP` rows on each side (or reaches the end of the list there). */
const KEEP = 10
export function covers(current: { start: number; end: number }, next: { start: number; end: number }, count: number): boolean {
  const screenTop = next.start === 0 ? 0 : next.start + OVERSCAN
  const screenBottom = next.end === count ? count : next.end - OVERSCAN
  const topOk = current.start === 0 || current.start <= screenTop - KEEP
  const bottomOk = current.end === count || current.end >= screenBottom + KEEP
  return current.end > current.start && topOk && bottomOk && current.start <= screenTop && current.end >= screenBottom
}

/**
 * `rows` windowed for the scrolling ancestor of `list` (the element wrapping the table body):
 * `visible` to render, `padTop`/`padBottom` in px for the spacers.
 */
export function useVirtualRows<T>(rows: Ref<T[]>, list: Ref<HTMLElement | null>) {
  const range = ref({ start: 0, end: Math.min(rows.value.length, 2 * OVERSCAN + 20) })
  const rowHeight = ref(DEFAULT_ROW_HEIGHT)
  let frame = 0

  /** The ancestor that scrolls the list vertically: one that is set to scroll and holds more
   * than it shows (a wrapper with only `overflow-x` set computes `overflow-y: auto` too). */
  function scrollerOf(el: HTMLElement | null): HTMLElement {
    for (let n = el?.parentElement; n; n = n.parentElement) {
      const o = getComputedStyle(n).overflowY
      if ((o === 'auto' || o === 'scroll') && n.scrollHeight > n.clientHeight + 1) return n
    }
    return document.scrollingElement as HTMLElement ?? document.documentElement
  }

  function update() {
    frame = 0
    const el = list.value
    if (!el) return
    const scroller = scrollerOf(el)
    const row = el.querySelector('tbody tr') as HTMLElement | null
    if (row && row.offsetHeight > 0) rowHeight.value = row.offsetHeight
    const head = (el.querySelector('thead') as HTMLElement | null)?.offsetHeight ?? 0
    const top = el.getBoundingClientRect().top - scroller.getBoundingClientRect().top + scroller.scrollTop + head
    // Never more than the window's height: whatever the layout, only a screenful is rendered.
    const next = windowOf(rows.value.length, rowHeight.value, top, scroller.scrollTop, Math.min(scroller.clientHeight, window.innerHeight))
    // Rows are swapped only when the screen nears an edge of what is rendered, not on every
    // frame: a wheel scroll then re-renders once per ~20 rows instead of once per row.
    if (!covers(range.value, next, rows.value.length)) range.value = next
  }
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(update)
  }

  const visible = computed(() => rows.value.slice(range.value.start, range.value.end))
  const padTop = computed(() => range.value.start * rowHeight.value)
  const padBottom = computed(() => Math.max(0, rows.value.length - range.value.end) * rowHeight.value)

  // Another kind or filter: back to the top of the new list.
  watch(rows, () => {
    range.value = windowOf(rows.value.length, rowHeight.value, 0, 0, window.innerHeight)
    schedule()
  })
  onMounted(() => {
    document.addEventListener('scroll', schedule, { capture: true, passive: true })
    window.addEventListener('resize', schedule)
    schedule()
  })
  onUnmounted(() => {
    document.removeEventListener('scroll', schedule, { capture: true })
    window.removeEventListener('resize', schedule)
    if (frame) cancelAnimationFrame(frame)
  })
  return { visible, padTop, padBottom, range }
}
