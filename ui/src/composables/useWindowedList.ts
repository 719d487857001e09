// Renders a long list a window at a time: the first rows at once, more as the user scrolls near
// the end, so 10,000 rows open and scroll without laying out 10,000 table rows up front.
import { computed, ref, watch, type Ref } from 'vue'

export function useWindowedList<T>(rows: Ref<T[]>, step = 200) {
  const limit = ref(step)
  const visible = computed(() => rows.value.slice(0, limit.value))
  const hasMore = computed(() => rows.value.length > limit.value)
  /** Shows the next `step` rows. */
  function more() {
    if (hasMore.value) limit.value += step
  }
  // A new filter or kind starts again from the top.
  watch(rows, (now, before) => {
    if (now !== before) limit.value = step
  })
  return { visible, hasMore, more }
}

/**
 * Calls `onVisible` whenever `el` (the end-of-list sentinel) comes within 600 px of the viewport:
 * on every scroll of any container (captured at the document) and on intersection changes.
 */
export function observeEnd(el: Element, onVisible: () => void): () => void {
  const check = () => {
    if (el.getBoundingClientRect().top < window.innerHeight + 600) onVisible()
  }
  document.addEventListener('scroll', check, { capture: true, passive: true })
  const io = typeof IntersectionObserver === 'undefined' ? null : new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && onVisible(), { rootMargin: '600px' })
  io?.observe(el)
  return () => {
    document.removeEventListener('scroll', check, { capture: true })
    io?.disconnect()
  }
}
