// The runtime groups overview: the cached state at once, then a live refresh (again every 15 s);
// the filter over the groups; "Sync now" with its progress; create and edit; what may be changed.
import { computed, onMounted, ref, shallowRef, watch } from 'vue'
import {
  backend,
  type ConsoleError,
  type NewRuntimeGroup,
  type Overview,
  type RuntimeGroupRow,
  type SyncProgress,
  type SyncReport,
} from '../backend'
import type { Toast } from './toast'
import { useAccess } from './useAccess'
import { useAsyncAction } from './useAsyncAction'
import { afterPaint } from '../paintMark'
import { count, counted, countOf } from '../format'
import { sameRowsOr } from './useVirtualRows'
import { rememberGroupNames } from './useGroupName'
import { useConnection } from './useConnection'
import { usePolling } from './usePolling'
import { refreshInterval } from './useSettings'

/** A group's name, ID, description and labels in lower case, made once per row object (a
 * keystroke of the filter then reads 500 strings rather than building them). */
const searchText = new WeakMap<RuntimeGroupRow, string>()
function textOf(g: RuntimeGroupRow): string {
  let text = searchText.get(g)
  if (text === undefined) {
    const labels = Object.entries(g.labels).map(([k, v]) => `${k}:${v}`)
    text = [g.name, g.id, g.description, ...labels].join(' ').toLowerCase()
    searchText.set(g, text)
  }
  return text
}

/** Every word must appear in the group's name, ID, description or one of its labels; no words,
 * every group (the list itself). */
export function filterGroups(groups: RuntimeGroupRow[], filter: string): RuntimeGroupRow[] {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean)
  if (!words.length) return groups
  return groups.filter((g) => words.every((w) => textOf(g).includes(w)))
}

/** What a finished sync says: cancelled, partly failed, or every group with its figures. */
export function syncSummary(r: SyncReport): Toast {
  const p = r.progress
  if (r.cancelled)
    return {
      appearance: 'warning',
      message:
        `Sync cancelled: ${countOf(p.groups_done, p.groups_total)} groups were updated; ` +
        'the others keep their last synced state.',
    }
  if (r.failed.length)
    return {
      appearance: 'warning',
      message:
        `Synced ${countOf(p.groups_done - r.failed.length, p.groups_total)} groups; ` +
        `${r.failed.length} failed: ${r.failed.map(([, why]) => why).join('; ')}`,
    }
  // Said as it happened: nothing fetched, everything fetched, or some of each.
  const fetched = p.groups_total - p.groups_unchanged
  const entities = counted(p.entities_done, 'entity', 'entities')
  const what = !fetched
    ? 'nothing had changed since the last sync'
    : !p.groups_unchanged
      ? `${entities} fetched`
      : `${count(fetched)} fetched with ${entities}, ${count(p.groups_unchanged)} unchanged ` +
        'since the last sync'
  return { appearance: 'success', message: `Synced ${counted(p.groups_total, 'group')}: ${what}.` }
}

const NO_CREATOR =
  'Your token may not create runtime groups: that takes the Creator role or the Organization ' +
  'Admin team.'

export function useOverview() {
  const overview = shallowRef<Overview | null>(null)
  // A group page opened from here titles itself from these names.
  watch(overview, (o) => o && rememberGroupNames(o.groups))
  const refreshing = ref(false)
  const loadError = ref<ConsoleError | null>(null)
  const access = useAccess()

  async function refresh() {
    refreshing.value = true
    try {
      overview.value = await backend.refreshOverview()
      loadError.value = null
    } catch (e) {
      loadError.value = e as ConsoleError
    } finally {
      refreshing.value = false
    }
  }

  /** Shows what the cache holds at once, then asks the control plane for the current state. */
  async function load() {
    // Loading from here on: an empty cache (a first launch) is not yet "no runtime groups".
    refreshing.value = true
    try {
      performance.mark('overview-asked') // the benchmark's breakdown
      // Already in at launch: set before the first render, not after it.
      const cached = backend.launchOverviewIn() ?? (await backend.cachedOverview())
      performance.mark('overview-received') // the benchmark's breakdown
      overview.value = cached
    } catch (e) {
      loadError.value = e as ConsoleError
    }
    // The cached rows paint first; the live refresh (a sync) would compete with them.
    await afterPaint()
    await refresh()
  }

  const filter = ref('')
  const rows = computed<RuntimeGroupRow[]>((before) =>
    sameRowsOr(before, filterGroups(overview.value?.groups ?? [], filter.value)),
  )

  async function createGroup(form: NewRuntimeGroup) {
    const row = await backend.createGroup(form)
    await refresh()
    return row
  }

  async function updateGroup(id: string, form: NewRuntimeGroup) {
    const row = await backend.updateGroup(id, form)
    await refresh()
    return row
  }

  /** Offline, nothing can change (and nothing is queued); online, the token's roles decide. */
  const { offline, headline, whyOffline } = useConnection()
  const whyNotCreate = computed(
    () => whyOffline.value || (access.canCreateGroups() ? '' : NO_CREATOR),
  )
  const whyNotChange = (row: RuntimeGroupRow) => access.whyNot(row.id, 'group')

  /** "Sync now": every group and entity, with progress; the overview then shows the cache. */
  const progress = ref<SyncProgress | null>(null)
  async function syncAll(): Promise<SyncReport> {
    progress.value = null
    const stop = await backend.onSyncProgress((p) => (progress.value = p))
    try {
      const report = await backend.syncNow()
      overview.value = await backend.cachedOverview()
      loadError.value = null
      access.reload()
      return report
    } finally {
      stop()
    }
  }
  const sync = useAsyncAction(syncAll, { success: syncSummary, failure: 'Sync failed' })
  const cancelSync = () => backend.cancelSync()

  // Asked for now, not once mounted: the cache answers while the page renders its frame.
  const loaded = load()
  onMounted(() => loaded.then(() => access.reload()))
  // Instance counts move while the window is open; keep them current.
  const { now } = usePolling(refresh, refreshInterval)

  return {
    overview,
    refreshing,
    offline,
    headline,
    whyOffline,
    loadError,
    load,
    refresh,
    now,
    filter,
    rows,
    createGroup,
    updateGroup,
    whyNotCreate,
    whyNotChange,
    progress,
    syncing: sync.pending,
    syncNow: sync.run,
    cancelSync,
  }
}
