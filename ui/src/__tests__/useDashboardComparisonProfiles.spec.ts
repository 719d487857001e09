// The dashboard's cards, comparing two runtime groups, and the profiles: what each composable
// makes of the backend's answers.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import type { ProfileList } from '../bindings/ProfileList'
import { cardsOf, changeOf, useDashboard } from '../composables/useDashboard'
import { useComparison } from '../composables/useComparison'
import { useProfiles } from '../composables/useProfiles'
import { withSetup } from './withSetup'

const { backend } = vi.hoisted(() => ({
  backend: {
    access: vi.fn(),
    groupDashboard: vi.fn(),
    saveChart: vi.fn(),
    cachedOverview: vi.fn(),
    compareGroups: vi.fn(),
    listProfiles: vi.fn(),
    addKonnectProfile: vi.fn(),
    removeProfile: vi.fn(),
  },
}))
vi.mock('../backend', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../backend')>()),
  backend,
}))
const { toast } = vi.hoisted(() => ({ toast: vi.fn() }))
vi.mock('../composables/toast', () => ({ toast }))

let unmount = () => {}
const card = (value: number) => ({ value, previous: null, change_pct: null })
const dashboard = () => ({
  group_id: 'g1',
  time_frame: '15m' as const,
  requests: card(10),
  error_rate: card(1),
  p99_latency_ms: card(5),
  traffic: [],
  top_services: [],
  traffic_svg: '<svg/>',
  error_rate_svg: '<svg/>',
  fetched_at: '2026-11-30T14:10:00Z',
  offline_reason: null,
})
beforeEach(() => {
  for (const f of Object.values(backend)) f.mockReset()
  toast.mockReset()
})
afterEach(() => unmount())

describe('dashboard cards', () => {
  it('says a change against the previous period, good or bad by the metric', () => {
    const up = { value: 12, previous: 10, change_pct: 20 }
    expect(changeOf(up, false, '1h')).toEqual({ change: '▲ 20.0% vs previous 1h', tone: 'good' })
    expect(changeOf(up, true, '1h').tone).toBe('bad')
    expect(changeOf({ ...up, change_pct: 0.01 }, true, '1h').tone).toBe('muted')
    expect(changeOf({ ...up, previous: null }, true, '1h').change).toBe(
      'no previous period to compare',
    )
    expect(changeOf({ ...up, change_pct: null }, true, '6h').change).toBe(
      'no traffic in the previous 6h',
    )
  })

  it('shows a dash for a metric without a value', () => {
    expect(cardsOf(null, '15m').map((c) => c.value)).toEqual(['–', '–', '–'])
  })

  it('loads for the group and time frame, and says where a chart was saved', async () => {
    backend.groupDashboard.mockRejectedValue({ code: 'offline', message: 'down', fields: {} })
    backend.saveChart.mockResolvedValue('/tmp/g1-traffic-15m.png')
    const s = withSetup(() => useDashboard('g1-long-id'))
    unmount = s.unmount
    await flushPromises()
    expect(backend.groupDashboard).toHaveBeenCalledWith('g1-long-id', '15m')
    expect(s.result.error.value).toBe('down')
    await s.result.exportPng('traffic')
    expect(backend.saveChart).toHaveBeenCalledWith(
      'g1-long--traffic-15m.png',
      'g1-long-id',
      '15m',
      'traffic',
    )
    expect(s.result.saved.value).toBe('/tmp/g1-traffic-15m.png')
    expect(toast).toHaveBeenCalledWith({
      appearance: 'success',
      message: 'Saved /tmp/g1-traffic-15m.png',
    })
  })
})

describe('a dashboard offline', () => {
  it('says a time frame was not cached, and drops the figures of the frame before', async () => {
    const cached = { ...dashboard(), offline_reason: 'Offline: the connection was refused.' }
    backend.groupDashboard.mockResolvedValueOnce(cached)
    const s = withSetup(() => useDashboard('g1'))
    unmount = s.unmount
    await flushPromises()
    expect(s.result.data.value?.offline_reason).toMatch(/^Offline/)
    expect(s.result.notCached.value).toBe('')
    const words = 'Nothing was cached for the last 7 days while online.'
    backend.groupDashboard.mockRejectedValueOnce({ code: 'not_cached', message: words, fields: {} })
    s.result.timeFrame.value = '7d'
    await s.result.load()
    expect(s.result.data.value).toBeNull()
    expect(s.result.notCached.value).toBe(words)
    expect(s.result.error.value).toBe('')
  })
})

describe('useComparison', () => {
  const g = (id: string, name: string) => ({ id, name })
  it('suggests development and production, and says a refusal on the second group', async () => {
    backend.cachedOverview.mockResolvedValue({
      groups: [g('1', 'default'), g('2', 'production'), g('3', 'development')],
    })
    backend.compareGroups.mockRejectedValue({
      code: 'validation',
      message: 'invalid',
      fields: { right: 'Pick another group than A.' },
    })
    const s = withSetup(useComparison)
    unmount = s.unmount
    await flushPromises()
    expect([s.result.left.value, s.result.right.value]).toEqual(['3', '2'])
    // Compared at once, without a click.
    expect(backend.compareGroups).toHaveBeenCalledWith('3', '2', '15m')
    expect(s.result.error.value).toBe('Pick another group than A.')
    expect(s.result.busy.value).toBe(false)
  })

  it('compares again when a picker changes, and shows only the latest answer', async () => {
    backend.cachedOverview.mockResolvedValue({ groups: [g('1', 'a'), g('2', 'b'), g('3', 'c')] })
    const answers: Array<(v: unknown) => void> = []
    backend.compareGroups.mockReset()
    backend.compareGroups.mockImplementation(() => new Promise((done) => answers.push(done)))
    const s = withSetup(useComparison)
    unmount = s.unmount
    await flushPromises()
    expect(backend.compareGroups).toHaveBeenLastCalledWith('1', '2', '15m')
    s.result.right.value = '3'
    await flushPromises()
    expect(backend.compareGroups).toHaveBeenLastCalledWith('1', '3', '15m')
    answers[1]({ left_group: 'a', right_group: 'c' })
    answers[0]({ left_group: 'a', right_group: 'b' })
    await flushPromises()
    expect(s.result.result.value).toEqual({ left_group: 'a', right_group: 'c' })
    expect(s.result.busy.value).toBe(false)
  })

  it('compares nothing in an organization of one group', async () => {
    backend.cachedOverview.mockResolvedValue({ groups: [g('1', 'default')] })
    backend.compareGroups.mockReset()
    const s = withSetup(useComparison)
    unmount = s.unmount
    await flushPromises()
    expect(s.result.loaded.value).toBe(true)
    expect([s.result.left.value, s.result.right.value]).toEqual(['1', ''])
    expect(backend.compareGroups).not.toHaveBeenCalled()
  })

  it('falls back to the first two groups', async () => {
    backend.cachedOverview.mockResolvedValue({ groups: [g('1', 'a'), g('2', 'b')] })
    const s = withSetup(useComparison)
    unmount = s.unmount
    await flushPromises()
    expect([s.result.left.value, s.result.right.value]).toEqual(['1', '2'])
  })
})

describe('useProfiles', () => {
  const local = { kind: 'local' as const, id: 'local', name: 'Local' }
  const acme = { kind: 'konnect' as const, id: 'p2', name: 'Acme', region: 'eu' as const }
  const profiles = (active: string): ProfileList => ({
    profiles: [local, acme],
    active,
    secrets: 'kernel_keyring',
  })

  it('shows the API field errors of an added profile, then adds it with a blank form', async () => {
    backend.listProfiles.mockResolvedValue({ ...profiles('local'), profiles: [local] })
    backend.addKonnectProfile.mockRejectedValueOnce({
      code: 'validation',
      message: 'invalid',
      fields: { token: 'Konnect refused this token.' },
    })
    backend.addKonnectProfile.mockResolvedValueOnce(profiles('p2'))
    const landed = vi.fn()
    const s = withSetup(() => useProfiles(landed))
    unmount = s.unmount
    await flushPromises()
    const p = s.result
    Object.assign(p.form, { name: 'Acme', region: 'eu', token: 'kpat_x' })
    await p.add()
    expect(p.errors.value).toEqual({ token: 'Konnect refused this token.' })
    expect(p.formError.value).toBe('')
    expect(landed).not.toHaveBeenCalled()
    await p.add()
    expect(backend.addKonnectProfile).toHaveBeenLastCalledWith({
      name: 'Acme',
      region: 'eu',
      token: 'kpat_x',
      base_url: undefined,
    })
    expect(p.form.token).toBe('')
    expect(p.active.value?.name).toBe('Acme')
    expect(landed).toHaveBeenCalled()
  })

  it('removes a profile after the question', async () => {
    backend.listProfiles.mockResolvedValue(profiles('p2'))
    backend.removeProfile.mockResolvedValue({ ...profiles('local'), profiles: [local] })
    const s = withSetup(() => useProfiles(vi.fn()))
    unmount = s.unmount
    await flushPromises()
    s.result.removal.ask(acme)
    await s.result.removal.confirm()
    expect(backend.removeProfile).toHaveBeenCalledWith('p2')
    expect(s.result.removal.target.value).toBeNull()
    expect(s.result.list.value?.profiles).toEqual([local])
    expect(toast).toHaveBeenCalledWith({ appearance: 'success', message: 'Profile removed.' })
  })
})
