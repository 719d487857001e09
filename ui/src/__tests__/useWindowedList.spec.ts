import { describe, expect, it } from 'vitest'
import { nextTick, ref } from 'vue'
import { useWindowedList } from '../composables/useWindowedList'

describe('windowed lists', () => {
  it('shows 10,000 rows a window at a time and starts again on a new list', async () => {
    const rows = ref(Array.from({ length: 10_000 }, (_, i) => i))
    const { visible, hasMore, more } = useWindowedList(rows, 200)
    expect(visible.value.length).toBe(200)
    more()
    more()
    expect(visible.value.length).toBe(600)
    expect(visible.value[599]).toBe(599)
    expect(hasMore.value).toBe(true)
    rows.value = rows.value.filter((i) => i % 1000 === 0)
    await nextTick()
    expect(visible.value).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000])
    expect(hasMore.value).toBe(false)
    more()
    expect(visible.value.length).toBe(10)
  })
})
