// Comparing two runtime groups: the groups to pick from (development against production
// suggested), a time frame, and the comparison of their analytics and configuration, made as soon
// as two groups are picked and again whenever a picker changes.
import { onMounted, ref, watch } from 'vue'
import { backend, type Comparison, type ConsoleError, type RuntimeGroupRow } from '../backend'
import type { TimeFrame } from '../vocabulary'
import { appSettings } from './useSettings'

export function useComparison() {
  const groups = ref<RuntimeGroupRow[]>([])
  /** The groups were read (an organization with fewer than two has nothing to compare). */
  const loaded = ref(false)
  const left = ref('')
  const right = ref('')
  // The dashboards' default frame: the one a sync caches for every group, so it compares offline.
  const timeFrame = ref<TimeFrame>(appSettings.default_time_frame)
  const busy = ref(false)
  const error = ref('')
  /** Offline, and this time frame was not cached: said as a fact, not as a failure. */
  const notCached = ref(false)
  const result = ref<Comparison | null>(null)

  /** The cached groups; suggests the usual pair, development against production, if both exist. */
  async function load() {
    try {
      groups.value = (await backend.cachedOverview()).groups
    } catch (e) {
      error.value = (e as ConsoleError).message
    }
    loaded.value = true
    const named = (name: string) => groups.value.find((g) => g.name === name)?.id
    left.value = named('development') ?? groups.value[0]?.id ?? ''
    right.value = named('production') ?? groups.value[1]?.id ?? ''
  }

  // Only the latest comparison asked for is shown (a picker changed while one was on its way).
  let asked = 0
  async function run() {
    const mine = ++asked
    busy.value = true
    error.value = ''
    notCached.value = false
    try {
      const compared = await backend.compareGroups(left.value, right.value, timeFrame.value)
      if (mine !== asked) return
      result.value = compared
    } catch (e) {
      if (mine !== asked) return
      const err = e as ConsoleError
      // Comparing a group with itself is said on the second picker.
      error.value = err.fields?.right ?? err.message
      notCached.value = err.code === 'not_cached'
      result.value = null
    } finally {
      if (mine === asked) busy.value = false
    }
  }

  watch([left, right, timeFrame], () => {
    if (left.value && right.value) void run()
  })
  onMounted(load)
  return { groups, loaded, left, right, timeFrame, busy, error, notCached, result, load, run }
}
