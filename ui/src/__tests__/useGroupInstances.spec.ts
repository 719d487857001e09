// A group's runtime instances: loaded on mount and at the refresh interval, sorted, a new instance started
// with its toast, and why a new one cannot be started offline.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import type { GroupInstances, RuntimeInstanceRow } from '../backend'
import { sortInstances, useGroupInstances } from '../composables/useGroupInstances'
import { appSettings } from '../composables/useSettings'
import { withSetup } from './withSetup'

const { backend } = vi.hoisted(() => ({
  backend: { access: vi.fn(), groupInstances: vi.fn(), newRuntimeInstance: vi.fn() },
}))
vi.mock('../backend', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../backend')>()),
  backend,
}))
const { toast } = vi.hoisted(() => ({ toast: vi.fn() }))
vi.mock('../composables/toast', () => ({ toast }))

const node = (hostname: string, last_seen: string, in_sync: boolean): RuntimeInstanceRow => ({
  id: hostname,
  hostname,
  ip: '10.0.0.1',
  last_seen,
  version: '3.10.0.0',
  config_hash: 'a'.repeat(32),
  in_sync,
  connected: true,
  config_error: null,
  compatibility: { state: 'compatible', issues: [] },
})
const a = node('a', '2026-11-30T12:00:00Z', true)
const b = node('b', '2026-11-30T12:05:00Z', false)
const c = node('c', '2026-11-30T12:05:00Z', true)
const view = (offline: string | null = null): GroupInstances => ({
  group_id: 'g1',
  expected_hash: 'a'.repeat(32),
  instances: [a, b, c],
  fetched_at: '2026-11-30T12:06:00Z',
  offline_reason: offline,
})

let unmount = () => {}
beforeEach(() => {
  for (const f of Object.values(backend)) f.mockReset()
  toast.mockReset()
  backend.access.mockResolvedValue({ groups: {}, can_create_groups: true })
})
afterEach(() => {
  unmount()
  vi.useRealTimers()
})

describe('sortInstances', () => {
  it('orders by last seen or sync status, then by host name', () => {
    const names = (rows: RuntimeInstanceRow[]) => rows.map((r) => r.hostname)
    expect(names(sortInstances([a, b, c], { key: 'last_seen', order: 'desc' }))).toEqual([
      'b',
      'c',
      'a',
    ])
    expect(names(sortInstances([c, b, a], { key: 'last_seen', order: 'asc' }))).toEqual([
      'a',
      'b',
      'c',
    ])
    expect(names(sortInstances([a, b, c], { key: 'sync', order: 'asc' }))).toEqual(['b', 'a', 'c'])
  })
})

describe('useGroupInstances', () => {
  it('loads on mount, newest first, and again at the refresh interval', async () => {
    vi.useFakeTimers()
    backend.groupInstances.mockResolvedValue(view())
    const s = withSetup(() => useGroupInstances('g1'))
    unmount = s.unmount
    await flushPromises()
    expect(backend.groupInstances).toHaveBeenCalledWith('g1')
    expect(s.result.rows.value.map((r) => r.hostname)).toEqual(['b', 'c', 'a'])
    s.result.onSort({ sortColumnKey: 'sync', sortColumnOrder: 'asc' })
    expect(s.result.rows.value.map((r) => r.hostname)).toEqual(['b', 'a', 'c'])
    // Again at the background refresh interval (Settings), and not before.
    await vi.advanceTimersByTimeAsync(appSettings.sync_interval_secs * 1000 - 1000)
    expect(backend.groupInstances).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1000)
    expect(backend.groupInstances).toHaveBeenCalledTimes(2)
  })

  it('keeps the last rows and says why a load failed', async () => {
    backend.groupInstances.mockResolvedValueOnce(view())
    backend.groupInstances.mockRejectedValueOnce({ code: 'offline', message: 'down', fields: {} })
    const s = withSetup(() => useGroupInstances('g1'))
    unmount = s.unmount
    await flushPromises()
    await s.result.load()
    expect(s.result.error.value).toBe('down')
    expect(s.result.rows.value).toHaveLength(3)
    expect(s.result.loading.value).toBe(false)
  })

  it('starts a runtime instance and says so', async () => {
    backend.groupInstances.mockResolvedValue(view())
    backend.newRuntimeInstance.mockResolvedValue({ hostname: 'dp-new' })
    const s = withSetup(() => useGroupInstances('g1'))
    unmount = s.unmount
    await flushPromises()
    await s.result.startInstance()
    expect(backend.newRuntimeInstance).toHaveBeenCalledWith('g1')
    expect(toast.mock.calls[0][0]).toEqual({
      appearance: 'success',
      message: 'Runtime instance dp-new started; it runs while Runtime Manager is open.',
    })
  })

  it('says why a new instance cannot start offline, and why a start failed', async () => {
    backend.groupInstances.mockResolvedValue(view('Offline: the connection was refused.'))
    backend.newRuntimeInstance.mockRejectedValue({
      code: 'server',
      message: 'no binary',
      fields: {},
    })
    const s = withSetup(() => useGroupInstances('g1'))
    unmount = s.unmount
    await flushPromises()
    expect(s.result.whyNotNewInstance.value).toBe(
      'Offline: the connection was refused. A new instance needs the control plane to pin its ' +
        'certificate.',
    )
    await s.result.startInstance()
    expect(toast).toHaveBeenCalledWith({
      appearance: 'danger',
      message: 'The runtime instance could not be started: no binary',
    })
  })
})
