// The overview's composables: the cached overview then a live one, the filter, "Sync now" with
// its summary, what may be changed offline, removing the demo, deleting a group (export first).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import type { Overview, RuntimeGroupRow, SyncReport } from '../backend'
import { filterGroups, syncSummary, useOverview } from '../composables/useOverview'
import { useDemo } from '../composables/useDemo'
import { useGroupDelete } from '../composables/useGroupDelete'
import { withSetup } from './withSetup'
import { useConnection } from '../composables/useConnection'
import type { Connection } from '../bindings/Connection'

const offlineState: Connection = {
  profile_id: 'local',
  profile_name: 'Local',
  online: false,
  offline_since: new Date().toISOString(),
  cause: 'the connection was refused',
  details: 'GET http://127.0.0.1:9/v2/control-planes: connection refused',
  remedy: 'The app checks every 2 seconds and goes online as soon as it answers.',
  needs_token: false,
  synced_at: new Date().toISOString(),
}

const { backend } = vi.hoisted(() => ({
  backend: {
    access: vi.fn(),
    cachedOverview: vi.fn(),
    launchOverviewIn: vi.fn(),
    refreshOverview: vi.fn(),
    onSyncProgress: vi.fn(),
    syncNow: vi.fn(),
    demoStatus: vi.fn(),
    removeDemo: vi.fn(),
    deleteGroup: vi.fn(),
    exportGroup: vi.fn(),
    saveText: vi.fn(),
  },
}))
vi.mock('../backend', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../backend')>()),
  backend,
}))
const { toast } = vi.hoisted(() => ({ toast: vi.fn() }))
vi.mock('../composables/toast', () => ({ toast }))

const group = (name: string, over: Partial<RuntimeGroupRow> = {}): RuntimeGroupRow => ({
  id: `id-${name}`,
  name,
  description: '',
  cluster_type: 'CLUSTER_TYPE_HYBRID',
  labels: {},
  active_instances: 0n,
  total_instances: 0n,
  in_sync_instances: 0n,
  is_default: false,
  is_demo: false,
  created_at: '2026-11-30T12:00:00Z',
  fetched_at: '2026-11-30T12:00:00Z',
  ...over,
})
const overview = (groups: RuntimeGroupRow[], offline: string | null = null): Overview => ({
  profile_name: 'Local',
  groups,
  synced_at: '2026-11-30T12:00:00Z',
  offline_reason: offline,
})
const report = (over: Partial<SyncReport> = {}): SyncReport => ({
  progress: {
    groups_total: 3,
    groups_done: 3,
    groups_unchanged: 1,
    entities_done: 1200n,
    requests: 9n,
    rate_limit: { concurrency: 8, max_concurrency: 8, rate_limited_until: null, rate_limited: 0 },
  },
  cancelled: false,
  failed: [],
  ...over,
})

let unmount = () => {}
beforeEach(() => {
  for (const f of Object.values(backend)) f.mockReset()
  toast.mockReset()
  backend.access.mockResolvedValue({ groups: {}, can_create_groups: true })
})
afterEach(() => unmount())

describe('filterGroups', () => {
  const groups = [
    group('development', { labels: { env: 'dev' } }),
    group('production', { description: 'Customer traffic' }),
  ]
  it('keeps groups whose name, ID, description or labels hold every word', () => {
    expect(filterGroups(groups, '').map((g) => g.name)).toEqual(['development', 'production'])
    expect(filterGroups(groups, 'env:dev').map((g) => g.name)).toEqual(['development'])
    expect(filterGroups(groups, 'CUSTOMER prod').map((g) => g.name)).toEqual(['production'])
    expect(filterGroups(groups, 'customer dev')).toEqual([])
  })
})

describe('syncSummary', () => {
  it('says what was fetched and what was unchanged', () => {
    const t = syncSummary(report())
    expect(t.appearance).toBe('success')
    expect(t.message).toMatch(/^Synced 3 groups: 2 fetched with 1,200 entities, 1 unchanged/)
  })
  it('says a sync that changed nothing, and one that fetched every group, in fewer words', () => {
    const progress = report().progress
    const none = report({ progress: { ...progress, groups_unchanged: 3, entities_done: 0n } })
    expect(syncSummary(none).message).toBe(
      'Synced 3 groups: nothing had changed since the last sync.',
    )
    const all = report({ progress: { ...progress, groups_unchanged: 0 } })
    expect(syncSummary(all).message).toBe('Synced 3 groups: 1,200 entities fetched.')
  })
  it('warns about a cancelled sync and failed groups', () => {
    expect(syncSummary(report({ cancelled: true })).message).toMatch(/^Sync cancelled: 3 of 3/)
    const failed = syncSummary(report({ failed: [['g', 'timed out']] }))
    expect(failed.appearance).toBe('warning')
    expect(failed.message).toBe('Synced 2 of 3 groups; 1 failed: timed out')
  })
})

/** The cached overview shown and painted, and the live refresh asked for. */
async function loaded() {
  await flushPromises()
  await new Promise((r) => setTimeout(r, 20))
  await flushPromises()
}

describe('useOverview', () => {
  it('shows the cache first, then the live overview, filtered', async () => {
    backend.cachedOverview.mockResolvedValue(overview([group('cached')]))
    let live!: (o: Overview) => void
    backend.refreshOverview.mockReturnValue(new Promise((r) => (live = r)))
    const s = withSetup(useOverview)
    unmount = s.unmount
    await loaded()
    expect(s.result.rows.value.map((g) => g.name)).toEqual(['cached'])
    expect(s.result.refreshing.value).toBe(true)
    live(overview([group('dev'), group('prod')]))
    await flushPromises()
    s.result.filter.value = 'pro'
    const filtered = s.result.rows.value
    expect(filtered.map((g) => g.name)).toEqual(['prod'])
    // Typing on within the same matches keeps the rows as they were: nothing renders again.
    s.result.filter.value = 'prod'
    expect(s.result.rows.value).toBe(filtered)
    s.result.filter.value = 'pro'
    expect(s.result.whyNotCreate.value).toBe('')
  })

  it("holds the launch's cached overview from its setup when it is already in", () => {
    backend.launchOverviewIn.mockReturnValue(overview([group('early')]))
    backend.refreshOverview.mockReturnValue(new Promise(() => {}))
    const s = withSetup(useOverview)
    unmount = s.unmount
    // No await: the first render has the rows.
    expect(s.result.rows.value.map((g) => g.name)).toEqual(['early'])
    expect(backend.cachedOverview).not.toHaveBeenCalled()
  })

  it('stays loading between an empty first cache and the first refresh', async () => {
    backend.cachedOverview.mockResolvedValue({ ...overview([]), synced_at: null })
    backend.refreshOverview.mockReturnValue(new Promise(() => {}))
    const s = withSetup(useOverview)
    unmount = s.unmount
    // The cached answer is in, the live refresh not yet asked for (it waits for a paint).
    await flushPromises()
    expect(s.result.overview.value?.groups).toEqual([])
    expect(backend.refreshOverview).not.toHaveBeenCalled()
    expect(s.result.refreshing.value).toBe(true)
  })

  it('says why nothing can change while offline, in the one offline state', async () => {
    backend.cachedOverview.mockResolvedValue(overview([]))
    backend.refreshOverview.mockResolvedValue(overview([group('dev')], 'connection refused'))
    const s = withSetup(useOverview)
    unmount = s.unmount
    await loaded()
    useConnection().adopt(offlineState)
    expect(s.result.offline.value).toBe(true)
    expect(s.result.headline.value).toMatch(/^Offline — showing what was synced at \d{1,2}:\d\d/)
    expect(s.result.whyNotCreate.value).toBe(
      'Offline: the connection was refused. Changes need the control plane; nothing is queued.',
    )
    expect(s.result.whyNotChange(group('dev'))).toBe(s.result.whyNotCreate.value)
    expect(s.result.whyNotCreate.value).not.toMatch(/http|\.\./)
    useConnection().adopt({ ...offlineState, online: true, cause: null, details: null })
    expect(s.result.whyNotCreate.value).toBe('')
  })

  it('keeps a failed refresh as the load error', async () => {
    backend.cachedOverview.mockResolvedValue(overview([group('dev')]))
    backend.refreshOverview.mockRejectedValue({ code: 'offline', message: 'down', fields: {} })
    const s = withSetup(useOverview)
    unmount = s.unmount
    await loaded()
    expect(s.result.loadError.value?.message).toBe('down')
    expect(s.result.rows.value).toHaveLength(1)
  })

  it('syncs with progress, shows the cache afterwards and says the summary', async () => {
    backend.cachedOverview.mockResolvedValue(overview([]))
    backend.refreshOverview.mockResolvedValue(overview([]))
    const stop = vi.fn()
    backend.onSyncProgress.mockImplementation(async (cb) => {
      cb(report().progress)
      return stop
    })
    backend.syncNow.mockResolvedValue(report())
    const s = withSetup(useOverview)
    unmount = s.unmount
    await flushPromises()
    backend.cachedOverview.mockResolvedValue(overview([group('synced')]))
    const done = s.result.syncNow()
    expect(s.result.syncing.value).toBe(true)
    await done
    expect(s.result.progress.value?.groups_done).toBe(3)
    expect(stop).toHaveBeenCalled()
    expect(s.result.syncing.value).toBe(false)
    expect(s.result.rows.value.map((g) => g.name)).toEqual(['synced'])
    expect(toast.mock.calls[0][0].message).toMatch(/^Synced 3 groups/)
  })

  it('says a failed sync in a toast', async () => {
    backend.cachedOverview.mockResolvedValue(overview([]))
    backend.refreshOverview.mockResolvedValue(overview([]))
    backend.onSyncProgress.mockResolvedValue(() => {})
    backend.syncNow.mockRejectedValue({
      code: 'conflict',
      message: 'A sync is running.',
      fields: {},
    })
    const s = withSetup(useOverview)
    unmount = s.unmount
    await s.result.syncNow()
    expect(toast).toHaveBeenCalledWith({
      appearance: 'danger',
      message: 'Sync failed: A sync is running.',
    })
  })
})

describe('useDemo', () => {
  it('removes the demo after the question, then refreshes the overview', async () => {
    const running = { running: true, groups: ['dev'], runtimes: 2, requests_sent: 5n, note: null }
    backend.demoStatus.mockResolvedValue(running)
    backend.removeDemo.mockResolvedValue({ ...running, running: false, groups: [] })
    const after = vi.fn()
    const s = withSetup(() => useDemo(after))
    unmount = s.unmount
    await flushPromises()
    expect(s.result.demo.value?.groups).toEqual(['dev'])
    s.result.removal.ask(running)
    await s.result.removal.confirm()
    expect(s.result.demo.value?.groups).toEqual([])
    expect(after).toHaveBeenCalled()
    expect(s.result.removal.target.value).toBeNull()
    expect(toast).toHaveBeenCalledWith({ appearance: 'success', message: 'The demo was removed.' })
  })
})

describe('useGroupDelete', () => {
  it('exports the group first, then deletes it and refreshes', async () => {
    backend.exportGroup.mockResolvedValue('_format_version: "3.0"\n')
    backend.saveText.mockResolvedValue('/home/u/Downloads/dev.yaml')
    backend.deleteGroup.mockResolvedValue(undefined)
    const refresh = vi.fn()
    const d = useGroupDelete(refresh)
    d.ask(group('dev'))
    await d.exportBeforeDelete()
    expect(backend.saveText).toHaveBeenCalledWith('dev.yaml', '_format_version: "3.0"\n')
    expect(d.exportedTo.value).toBe('/home/u/Downloads/dev.yaml')
    await d.confirm()
    expect(backend.deleteGroup).toHaveBeenCalledWith('id-dev')
    expect(refresh).toHaveBeenCalled()
    expect(d.target.value).toBeNull()
    expect(toast).toHaveBeenCalledWith({
      appearance: 'success',
      message: 'Runtime group "dev" was deleted.',
    })
  })

  it('keeps the dialog open with why the export or the delete failed', async () => {
    backend.exportGroup.mockRejectedValue({ code: 'offline', message: 'down', fields: {} })
    backend.deleteGroup.mockRejectedValue({ code: 'conflict', message: 'in use', fields: {} })
    const d = useGroupDelete(vi.fn())
    d.ask(group('dev'))
    await d.exportBeforeDelete()
    expect(d.error.value).toBe('The configuration could not be exported: down')
    await d.confirm()
    expect(d.target.value?.name).toBe('dev')
    expect(d.error.value).toBe('The runtime group could not be deleted: in use')
    d.ask(group('prod'))
    expect(d.error.value).toBe('')
    expect(d.exportedTo.value).toBe('')
  })
})
