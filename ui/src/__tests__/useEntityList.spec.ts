// An entity kind's list: loaded for the chosen kind, filtered and sorted, what may be changed,
// viewing a row, deleting after the question; and the entity form's API errors on its fields.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import type { EntityList } from '../bindings/EntityList'
import { KINDS } from '../entityColumns'
import type { EntityKind } from '../vocabulary'
import {
  FIRST_ROWS,
  nextOrder,
  readFirstRowsAhead,
  useEntityList,
} from '../composables/useEntityList'
import { splitFieldErrors } from '../composables/useEntityForm'
import { withSetup } from './withSetup'

const { backend } = vi.hoisted(() => ({
  backend: {
    access: vi.fn(),
    cachedGroupEntities: vi.fn(),
    groupEntities: vi.fn(),
    deleteEntity: vi.fn(),
    entityYaml: vi.fn(),
  },
}))
vi.mock('../backend', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../backend')>()),
  backend,
}))
const { toast } = vi.hoisted(() => ({ toast: vi.fn() }))
vi.mock('../composables/toast', () => ({ toast }))

const list = (kind: EntityKind, rows: Record<string, unknown>[], offline: string | null = null) =>
  ({
    group_id: 'g1',
    kind,
    rows,
    fetched_at: '2026-11-30T12:00:00Z',
    offline_reason: offline,
  }) as EntityList
const services = [
  { id: 's1', name: 'orders', host: 'orders.internal', port: 80 },
  { id: 's2', name: 'users-api', host: 'users.internal', port: 8080 },
]

let unmount = () => {}
function mountList(initialKind?: string, initialFilter?: string) {
  const s = withSetup(() => useEntityList('g1', initialKind, initialFilter))
  unmount = s.unmount
  return s.result
}
beforeEach(() => {
  for (const f of Object.values(backend)) f.mockReset()
  toast.mockReset()
  backend.access.mockResolvedValue({ groups: {}, can_create_groups: true })
  backend.cachedGroupEntities.mockResolvedValue(null)
  backend.groupEntities.mockImplementation(async (_: string, kind: EntityKind) =>
    list(kind, kind === 'services' ? services : []),
  )
})
afterEach(() => unmount())

describe('nextOrder', () => {
  it('sorts by a column, then reverses, then goes back to the API order', () => {
    const once = nextOrder(null, 'name')
    expect(once).toEqual({ key: 'name', descending: false })
    const twice = nextOrder(once, 'name')
    expect(twice).toEqual({ key: 'name', descending: true })
    expect(nextOrder(twice, 'name')).toBeNull()
    expect(nextOrder(twice, 'host')).toEqual({ key: 'host', descending: false })
  })
})

describe('useEntityList', () => {
  it('loads the first listed kind, unless another is asked for, with its filter', async () => {
    const l = mountList(undefined, 'users')
    await flushPromises()
    expect(l.spec.value.kind).toBe(KINDS[0].kind)
    expect(backend.groupEntities).toHaveBeenCalledWith('g1', KINDS[0].kind)
    unmount()
    const r = mountList('services', 'users')
    await flushPromises()
    expect(r.spec.value.kind).toBe('services')
    expect(r.shown.value.map((x) => x.id)).toEqual(['s2'])
  })

  it('sorts, and starts another kind unfiltered in the API order', async () => {
    const l = mountList('services')
    await flushPromises()
    l.sortBy('port')
    l.sortBy('port')
    expect(l.shown.value.map((x) => x.id)).toEqual(['s2', 's1'])
    l.filter.value = 'orders'
    l.select('routes')
    await flushPromises()
    expect(backend.groupEntities).toHaveBeenLastCalledWith('g1', 'routes')
    expect(l.filter.value).toBe('')
    expect(l.order.value).toBeNull()
    expect(l.shown.value).toEqual([])
  })

  it('shows the cached list at once, then the live one', async () => {
    backend.cachedGroupEntities.mockResolvedValue(list('services', services.slice(0, 1)))
    let live: (l: EntityList) => void = () => {}
    backend.groupEntities.mockReturnValue(new Promise((r) => (live = r)))
    const l = mountList('services')
    await flushPromises()
    expect(l.shown.value.map((x) => x.id)).toEqual(['s1'])
    await new Promise((r) => setTimeout(r, 20))
    expect(backend.groupEntities).toHaveBeenCalledWith('g1', 'services')
    live(list('services', services))
    await flushPromises()
    expect(l.shown.value.map((x) => x.id)).toEqual(['s1', 's2'])
  })

  it("paints a long cached list's first rows, then all of them, then the live list", async () => {
    const routes = Array.from({ length: 250 }, (_, i) => ({ id: `r${i}`, name: `route-${i}` }))
    backend.cachedGroupEntities.mockImplementation(
      async (_: string, kind: EntityKind, first: number | null) =>
        list(kind, first === null ? routes : routes.slice(0, first)),
    )
    let live: (l: EntityList) => void = () => {}
    backend.groupEntities.mockReturnValue(new Promise((r) => (live = r)))
    const l = mountList('routes')
    await flushPromises()
    expect(backend.cachedGroupEntities).toHaveBeenCalledWith('g1', 'routes', FIRST_ROWS)
    expect(l.shown.value).toHaveLength(FIRST_ROWS)
    expect(l.partial.value).toBe(true)
    await new Promise((r) => setTimeout(r, 20))
    await flushPromises()
    expect(backend.cachedGroupEntities).toHaveBeenLastCalledWith('g1', 'routes', null)
    expect(l.shown.value).toHaveLength(250)
    expect(l.partial.value).toBe(false)
    await new Promise((r) => setTimeout(r, 20))
    live(list('routes', routes.slice(0, 3)))
    await flushPromises()
    expect(l.shown.value.map((x) => x.id)).toEqual(['r0', 'r1', 'r2'])
  })

  it('reads a short cached list once', async () => {
    backend.cachedGroupEntities.mockResolvedValue(list('services', services))
    const l = mountList('services')
    await flushPromises()
    await new Promise((r) => setTimeout(r, 20))
    await flushPromises()
    expect(backend.cachedGroupEntities).toHaveBeenCalledTimes(1)
    expect(l.partial.value).toBe(false)
  })

  it('builds a group page with the rows read ahead by its navigation, asking once', async () => {
    const routes = Array.from({ length: 250 }, (_, i) => ({ id: `r${i}`, name: `route-${i}` }))
    backend.cachedGroupEntities.mockImplementation(
      async (_: string, kind: EntityKind, first: number | null) =>
        list(kind, first === null ? routes : routes.slice(0, first)),
    )
    backend.groupEntities.mockReturnValue(new Promise(() => {}))
    await readFirstRowsAhead('g1', 'routes')
    const l = mountList('routes')
    // In the list from its setup on: the page's first render has the rows.
    expect(l.shown.value).toHaveLength(FIRST_ROWS)
    expect(l.partial.value).toBe(true)
    expect(backend.cachedGroupEntities).toHaveBeenCalledTimes(1)
    await new Promise((r) => setTimeout(r, 20))
    await flushPromises()
    expect(backend.cachedGroupEntities).toHaveBeenLastCalledWith('g1', 'routes', null)
    expect(l.shown.value).toHaveLength(250)
  })

  it('takes a read-ahead once, for its own group and kind only, and only while fresh', async () => {
    backend.cachedGroupEntities.mockResolvedValue(list('services', services))
    await readFirstRowsAhead('g2', 'services')
    const other = mountList('services')
    expect(other.list.value).toBeNull()
    expect(backend.cachedGroupEntities).toHaveBeenLastCalledWith('g1', 'services', FIRST_ROWS)
    unmount()
    await readFirstRowsAhead('g1', 'routes')
    const kind = mountList('services')
    expect(kind.list.value).toBeNull()
    unmount()
    vi.useFakeTimers({ toFake: ['performance'] })
    try {
      await readFirstRowsAhead('g1', 'services')
      vi.advanceTimersByTime(5_000)
      const stale = mountList('services')
      expect(stale.list.value).toBeNull()
    } finally {
      vi.useRealTimers()
    }
  })

  it('drops a reply for a kind no longer selected', async () => {
    let slow: (l: EntityList) => void = () => {}
    backend.groupEntities.mockReturnValueOnce(new Promise((r) => (slow = r)))
    const l = mountList('services')
    await flushPromises()
    l.select('routes')
    await flushPromises()
    slow(list('services', services))
    await flushPromises()
    expect(l.spec.value.kind).toBe('routes')
    expect(l.shown.value).toEqual([])
  })

  it('says why rows cannot change offline, and names rows by their kind', async () => {
    backend.groupEntities.mockResolvedValue(
      list('services', services, 'Offline: the connection was refused.'),
    )
    const l = mountList('services')
    await flushPromises()
    expect(l.whyNotChange.value).toBe('Offline: the connection was refused.')
    expect(l.rowLabel(services[1])).toBe('users-api')
    expect(l.rowLabel(null)).toBe('')
  })

  it('says why a list could not be loaded', async () => {
    backend.groupEntities.mockRejectedValue({ code: 'offline', message: 'down', fields: {} })
    const l = mountList('services')
    await flushPromises()
    expect(l.error.value).toBe('down')
    expect(l.list.value).toBeNull()
  })

  it('shows a row as YAML from Rust, or as JSON', async () => {
    backend.entityYaml.mockResolvedValue('name: orders\n')
    const l = mountList('services')
    await flushPromises()
    l.viewing.value = services[0]
    await flushPromises()
    expect(l.viewText.value).toBe('name: orders\n')
    l.viewFormat.value = 'JSON'
    await flushPromises()
    expect(JSON.parse(l.viewText.value)).toEqual(services[0])
  })

  it('deletes a row after the question and loads the list again', async () => {
    backend.deleteEntity.mockResolvedValue(undefined)
    const l = mountList('services')
    await flushPromises()
    l.deletion.ask(services[0])
    await l.deletion.confirm()
    expect(backend.deleteEntity).toHaveBeenCalledWith('g1', 'services', 's1')
    expect(l.deletion.target.value).toBeNull()
    await flushPromises()
    expect(backend.groupEntities).toHaveBeenCalledTimes(2)
  })

  it('keeps the question open with why the delete failed', async () => {
    backend.deleteEntity.mockRejectedValue({
      code: 'conflict',
      message: 'The service is used by a route.',
      fields: {},
    })
    const l = mountList('services')
    await flushPromises()
    l.deletion.ask(services[0])
    await l.deletion.confirm()
    expect(l.deletion.target.value).toEqual(services[0])
    expect(l.deletion.error.value).toBe('The service is used by a route.')
    expect(toast).not.toHaveBeenCalled()
  })
})

describe('splitFieldErrors', () => {
  const known = new Set(['name', 'config'])
  it('puts field errors on their fields, nested ones with their path', () => {
    const err = {
      code: 'validation' as const,
      message: 'schema violation',
      fields: { name: 'must be unique', 'config.minute': 'must be a number' },
    }
    expect(splitFieldErrors(err, known)).toEqual({
      fields: { name: 'must be unique', config: 'config.minute: must be a number' },
      form: '',
    })
  })
  it('says the rest above the form', () => {
    const err = {
      code: 'validation' as const,
      message: 'schema violation',
      fields: { host: 'required' },
    }
    expect(splitFieldErrors(err, known)).toEqual({
      fields: {},
      form: 'schema violation host: required',
    })
  })
})
