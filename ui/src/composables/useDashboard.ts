// A group's dashboard, or one runtime instance's (Konnect's `data_plane_node` filter): analytics for
// a chosen time frame (read again every 10 s), the metric cards with their change against the
// previous period, and saving a group's chart as a PNG.
import { computed, onMounted, ref } from 'vue'
import { backend, type ConsoleError, type Dashboard } from '../backend'
import type { MetricCard } from '../bindings/MetricCard'
import type { TimeFrame } from '../vocabulary'
import { count } from '../format'
import { useAsyncAction } from './useAsyncAction'
import { usePolling } from './usePolling'
import { appSettings } from './useSettings'

/** A card's change against the previous period, and whether that is good news. */
export function changeOf(c: MetricCard | undefined, higherIsWorse: boolean, timeFrame: string) {
  if (!c || c.previous === null) return { change: 'no previous period to compare', tone: 'muted' }
  if (c.change_pct === null)
    return { change: `no traffic in the previous ${timeFrame}`, tone: 'muted' }
  const pct = c.change_pct
  const up = pct >= 0
  const tone = Math.abs(pct) < 0.05 ? 'muted' : up === higherIsWorse ? 'bad' : 'good'
  return {
    change: `${up ? '▲' : '▼'} ${Math.abs(pct).toFixed(1)}% vs previous ${timeFrame}`,
    tone,
  }
}

/** The three metric cards: requests, error rate and P99 latency. */
export function cardsOf(d: Dashboard | null, timeFrame: string) {
  const fmt = (v: number | null | undefined, f: (n: number) => string) =>
    v === null || v === undefined ? '–' : f(v)
  return [
    {
      key: 'requests',
      title: 'Requests',
      value: fmt(d?.requests.value, count),
      ...changeOf(d?.requests, false, timeFrame),
    },
    {
      key: 'error-rate',
      title: 'Error rate',
      value: fmt(d?.error_rate.value, (n) => `${n.toFixed(1)}%`),
      ...changeOf(d?.error_rate, true, timeFrame),
    },
    {
      key: 'p99',
      title: 'P99 latency',
      value: fmt(d?.p99_latency_ms.value, (n) => `${n.toFixed(1)} ms`),
      ...changeOf(d?.p99_latency_ms, true, timeFrame),
    },
  ]
}

export function useDashboard(groupId: string, nodeId?: string) {
  const timeFrame = ref<TimeFrame>(appSettings.default_time_frame)
  const data = ref<Dashboard | null>(null)
  const error = ref('')
  /** Offline, and nothing was cached for this time frame: what to say instead of figures. */
  const notCached = ref('')
  const { now } = usePolling(load, 10000)

  async function load() {
    const frame = timeFrame.value
    try {
      const got = nodeId
        ? await backend.instanceDashboard(groupId, nodeId, frame)
        : await backend.groupDashboard(groupId, frame)
      // An answer for a frame no longer chosen (a quick switch) is not shown under the new one.
      if (frame !== timeFrame.value) return
      data.value = got
      error.value = ''
      notCached.value = ''
    } catch (e) {
      if (frame !== timeFrame.value) return
      const err = e as ConsoleError
      if (err.code === 'not_cached') {
        // Another frame's figures must not stay on screen under this frame's name.
        data.value = null
        notCached.value = err.message
        error.value = ''
      } else error.value = err.message
    }
    now.value = new Date()
  }

  const cards = computed(() => cardsOf(data.value, timeFrame.value))

  /** Saves the chart as a PNG (drawn by the Rust core at twice the size) and says where. */
  const saved = ref('')
  const exportPng = useAsyncAction(
    async (chart: 'traffic' | 'error_rate') => {
      const name = `${groupId.slice(0, 8)}-${chart}-${timeFrame.value}.png`
      saved.value = await backend.saveChart(name, groupId, timeFrame.value, chart)
      return saved.value
    },
    { success: (path) => `Saved ${path}`, failure: 'The chart could not be exported' },
  )

  /** Charts are exported for a whole group; an instance's would be saved as its group's. */
  const canExport = !nodeId

  onMounted(load)
  return {
    timeFrame,
    data,
    error,
    notCached,
    now,
    cards,
    load,
    saved,
    canExport,
    exportPng: exportPng.run,
  }
}
