// A runtime instance's page: its row from the group's instances (and why it is stale offline), its
// issues with the affected entities named from the cache and linked to their pages, and
// the dashboard filtered to the node.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import type { GroupInstances, RuntimeInstanceRow } from '../backend'
import {
  entityPageLink,
  issueView,
  namedIds,
  scopeOf,
  useRuntimeInstance,
} from '../composables/useRuntimeInstance'
import { useDashboard } from '../composables/useDashboard'
import { appSettings } from '../composables/useSettings'
import { withSetup } from './withSetup'

const { backend } = vi.hoisted(() => ({
  backend: {
    groupInstances: vi.fn(),
    search: vi.fn(),
    instanceDashboard: vi.fn(),
    groupDashboard: vi.fn(),
  },
}))
vi.mock('../backend', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../backend')>()),
  backend,
}))

const PLUGIN = '9d1c7a52-0000-4000-8000-000000000001'
const SERVICE = '5b2e1f00-0000-4000-8000-000000000002'
const lacksCors = {
  code: 'plugin_not_available',
  severity: 'error',
  description: "Plugin 'cors' is not available on this data plane node.",
  resolution: "Run a data plane node that has the 'cors' plugin.",
  affected_resources: [{ id: PLUGIN, type: 'plugin', details: [`service: ${SERVICE}`] }],
}
const node = (id: string, over: Partial<RuntimeInstanceRow> = {}): RuntimeInstanceRow => ({
  id,
  hostname: `host-${id}`,
  ip: '127.0.0.1',
  last_seen: '2026-11-30T12:00:00Z',
  version: '3.10.0.0',
  config_hash: 'b'.repeat(32),
  in_sync: false,
  connected: true,
  config_error: null,
  compatibility: { state: 'incompatible', issues: [lacksCors] },
  ...over,
})
const view = (offline: string | null = null): GroupInstances => ({
  group_id: 'g1',
  expected_hash: 'a'.repeat(32),
  instances: [node('n1'), node('n2', { compatibility: { state: 'compatible', issues: [] } })],
  fetched_at: '2026-11-30T12:06:00Z',
  offline_reason: offline,
})

let unmount = () => {}
beforeEach(() => {
  for (const f of Object.values(backend)) f.mockReset()
  backend.search.mockResolvedValue([])
})
afterEach(() => {
  unmount()
  vi.useRealTimers()
})

describe('affected entities', () => {
  it('links an entity to its own page in the group', () => {
    expect(entityPageLink('g1', 'plugins', PLUGIN)).toEqual({
      name: 'entity',
      params: { id: 'g1', kind: 'plugins', entityId: PLUGIN },
    })
  })

  it('names the plugin and where it applies, by name when known, else by short ID', () => {
    const named = issueView('g1', lacksCors, { [PLUGIN]: 'cors', [SERVICE]: 'users-api' })
    expect(named.resolution).toContain("has the 'cors' plugin")
    expect(named.affected.map((a) => [a.text, a.scopes.map((s) => s.text)])).toEqual([
      ['plugin cors', ['gateway service users-api']],
    ])
    expect(named.affected[0].scopes[0].to).toEqual(entityPageLink('g1', 'services', SERVICE))
    const unnamed = issueView('g1', lacksCors, {})
    expect(unnamed.affected[0].text).toBe('plugin 9d1c7a52')
  })

  it('says global for a global plugin and keeps a detail it cannot read as written', () => {
    expect(scopeOf('g1', 'global', {})).toEqual({
      id: '',
      text: 'every request of the group (global)',
      to: null,
    })
    expect(scopeOf('g1', 'workspace: w1', {}).to).toBeNull()
    expect(scopeOf('g1', 'consumer_group: cg1', { cg1: 'gold' }).text).toBe('consumer group gold')
  })

  it('collects every ID an issue names, once', () => {
    expect(namedIds([lacksCors, lacksCors])).toEqual([PLUGIN, SERVICE])
  })
})

describe('useRuntimeInstance', () => {
  it("finds its node among the group's instances and names what its issues affect", async () => {
    vi.useFakeTimers()
    backend.groupInstances.mockResolvedValue(view())
    backend.search.mockImplementation(async (q: string) =>
      q === PLUGIN
        ? [{ kind: 'plugins', id: PLUGIN, label: 'cors', group_id: 'g1' }]
        : [{ kind: 'services', id: SERVICE, label: 'users-api', group_id: 'other-group' }],
    )
    const s = withSetup(() => useRuntimeInstance('g1', 'n1'))
    unmount = s.unmount
    await flushPromises()
    expect(backend.groupInstances).toHaveBeenCalledWith('g1')
    expect(s.result.instance.value?.hostname).toBe('host-n1')
    expect(s.result.missing.value).toBe(false)
    const [issue] = s.result.issues.value
    expect(issue.description).toContain("Plugin 'cors'")
    // The service's hit is another group's: it stays unnamed here.
    expect(issue.affected[0].text).toBe('plugin cors')
    expect(issue.affected[0].scopes[0].text).toBe('gateway service 5b2e1f00')
    // Again at the background refresh interval (Settings), and not before.
    await vi.advanceTimersByTimeAsync(appSettings.sync_interval_secs * 1000 - 1000)
    expect(backend.groupInstances).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1000)
    expect(backend.groupInstances).toHaveBeenCalledTimes(2)
  })

  it('keeps the cached view offline with why, and says when the node is no longer listed', async () => {
    backend.groupInstances.mockResolvedValueOnce(view('connection refused'))
    const s = withSetup(() => useRuntimeInstance('g1', 'gone'))
    unmount = s.unmount
    await flushPromises()
    expect(s.result.view.value?.offline_reason).toBe('connection refused')
    expect(s.result.instance.value).toBeNull()
    expect(s.result.missing.value).toBe(true)
    backend.groupInstances.mockRejectedValueOnce({ code: 'offline', message: 'down', fields: {} })
    await s.result.load()
    expect(s.result.error.value).toBe('down')
  })

  it("reads the node's own dashboard, and offers no group chart export there", async () => {
    backend.instanceDashboard.mockResolvedValue(null)
    const s = withSetup(() => useDashboard('g1', 'n1'))
    unmount = s.unmount
    await flushPromises()
    expect(backend.instanceDashboard).toHaveBeenCalledWith('g1', 'n1', '15m')
    expect(backend.groupDashboard).not.toHaveBeenCalled()
    expect(s.result.canExport).toBe(false)
  })
})
