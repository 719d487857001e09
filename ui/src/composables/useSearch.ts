// Searching every cached group and entity as the query is typed; an answer to an older query
// that arrives late is dropped.
import { ref, watch } from 'vue'
import { backend, type ConsoleError, type SearchHit } from '../backend'

export function useSearch() {
  const query = ref('')
  const hits = ref<SearchHit[]>([])
  const error = ref('')
  /** The highlighted hit. */
  const active = ref(0)

  let seq = 0
  watch(query, async (q) => {
    const mine = ++seq
    error.value = ''
    if (!q.trim()) {
      hits.value = []
      return
    }
    try {
      const found = await backend.search(q)
      if (mine === seq) {
        hits.value = found
        active.value = 0
      }
    } catch (e) {
      if (mine === seq) error.value = (e as ConsoleError).message
    }
  })

  /** Moves the highlight by `d`, round the list. */
  function move(d: number) {
    const n = hits.value.length
    if (n) active.value = (active.value + d + n) % n
  }

  function clear() {
    query.value = ''
    hits.value = []
  }

  return { query, hits, error, active, move, clear }
}
