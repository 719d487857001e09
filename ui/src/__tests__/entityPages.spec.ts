// Entity pages over their composables: the entity and its nested lists from the cache offline
// with every change disabled and why, a tag filter, consumer group membership from either side,
// what certificates and consumer groups show in lists, and the Details tab's fields.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import type { EntityList } from '../bindings/EntityList'
import type { EntityKind } from '../vocabulary'
import { useEntityPage } from '../composables/useEntityPage'
import { belongingTo, useRelatedList } from '../composables/useRelatedList'
import { candidates, useMembership } from '../composables/useMembership'
import { useEntityForm } from '../composables/useEntityForm'
import {
  annotateRows,
  certificateOf,
  expiresIn,
  expiryText,
  memberCountOf,
} from '../composables/useRowFacts'
import { tagsOf, withTag } from '../composables/useTagFilter'
import { columnsUnder, specFor } from '../entityColumns'
import { detailRows } from '../pages/entity/detailRows'
import { fieldLabel } from '../schema/kongSchema'
import { tabsOf } from '../pages/entity/entityTabs'
import { formTree, initialValues, toBody } from '../schema/formModel'
import { withSetup } from './withSetup'

const { backend } = vi.hoisted(() => ({
  backend: {
    access: vi.fn(),
    groupEntities: vi.fn(),
    deleteEntity: vi.fn(),
    consumerGroupMembers: vi.fn(),
    consumerGroupsOf: vi.fn(),
    addConsumerGroupMember: vi.fn(),
    removeConsumerGroupMember: vi.fn(),
    certificateDetails: vi.fn(),
    entitySchema: vi.fn(),
  },
}))
vi.mock('../backend', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../backend')>()),
  backend,
}))
vi.mock('../composables/toast', () => ({ toast: vi.fn() }))

const OFFLINE = 'Offline: the connection was refused.'
const list = (kind: EntityKind, rows: Record<string, unknown>[], offline: string | null = null) =>
  ({
    group_id: 'g1',
    kind,
    rows,
    fetched_at: '2026-11-30T12:00:00Z',
    offline_reason: offline,
  }) as EntityList

const upstream = { id: 'u1', name: 'orders-upstream', tags: ['e2e'] }
const targets = [
  { id: 't1', target: '10.0.0.1:8080', weight: 100, upstream: { id: 'u1' }, tags: ['blue'] },
  { id: 't2', target: '10.0.0.2:8080', weight: 50, upstream: { id: 'u1' }, tags: ['green'] },
  { id: 't3', target: '10.9.9.9:80', weight: 100, upstream: { id: 'other' } },
]
const consumers = [
  { id: 'c1', username: 'alice' },
  { id: 'c2', username: 'bob' },
]

let unmounts: (() => void)[] = []
function mounted<T>(composable: () => T): T {
  const s = withSetup(composable)
  unmounts.push(s.unmount)
  return s.result
}
beforeEach(() => {
  for (const f of Object.values(backend)) f.mockReset()
  backend.access.mockResolvedValue({ groups: {}, can_create_groups: true })
})
afterEach(() => {
  unmounts.forEach((u) => u())
  unmounts = []
})

describe('an entity page', () => {
  it('opens from the cache offline with changes disabled and the reason said', async () => {
    backend.groupEntities.mockResolvedValue(list('upstreams', [upstream], OFFLINE))
    const page = mounted(() => useEntityPage('g1', 'upstreams', 'u1'))
    await flushPromises()
    expect(page.entity.value).toEqual(upstream)
    expect(page.label.value).toBe('orders-upstream')
    expect(page.offlineReason.value).toBe(OFFLINE)
    expect(page.whyNotChange.value).toBe(`${OFFLINE} Changes are disabled until it is back.`)
    expect(page.whyNotChange.value).toContain('Changes are disabled')
  })

  it('allows changes online, and says when the entity is gone', async () => {
    backend.groupEntities.mockResolvedValue(list('upstreams', [upstream]))
    const page = mounted(() => useEntityPage('g1', 'upstreams', 'gone'))
    await flushPromises()
    expect(page.whyNotChange.value).toBe('')
    expect(page.missing.value).toBe(true)
  })

  it('has Konnect tabs per kind', () => {
    expect(tabsOf('services').map((t) => t.title)).toEqual(['Details', 'Routes', 'Plugins'])
    expect(tabsOf('consumers').map((t) => t.title)).toEqual([
      'Details',
      'Credentials',
      'Consumer groups',
      'Plugins',
    ])
    expect(tabsOf('upstreams').map((t) => t.title)).toEqual(['Details', 'Targets'])
    expect(tabsOf('vaults').map((t) => t.title)).toEqual(['Details'])
  })
})

describe('a nested list', () => {
  it("keeps the upstream's own targets, filters them by tag, and creates under it", async () => {
    backend.groupEntities.mockResolvedValue(list('targets', targets))
    const r = mounted(() => useRelatedList('g1', 'targets', 'upstream', 'u1'))
    await flushPromises()
    expect(r.rows.value.map((t) => t.id)).toEqual(['t1', 't2'])
    expect(r.tags.value).toEqual(['blue', 'green'])
    r.tag.value = 'green'
    expect(r.shown.value.map((t) => t.id)).toEqual(['t2'])
    expect(r.preset).toEqual({ upstream: 'u1' })
    expect(r.whyNotChange.value).toBe('')
  })

  it('offline shows the cached ones and disables changes', async () => {
    backend.groupEntities.mockResolvedValue(list('targets', targets, OFFLINE))
    const r = mounted(() => useRelatedList('g1', 'targets', 'upstream', 'u1'))
    await flushPromises()
    expect(r.rows.value).toHaveLength(2)
    expect(r.whyNotChange.value).toContain('Offline')
  })

  it("leaves out the parent's own column and says when a credential was made", () => {
    const columns = columnsUnder('key-auths', 'consumer')
    expect(columns.map((c) => c.key)).toEqual(['created_at', 'tags'])
    const created = columns[0].get!
    // A date in the locale's short form ("Dec 1, 2025" in en-US), not the raw seconds.
    expect(created({ created_at: 1764590400 })).toContain('2025')
    expect(created({ created_at: 1764590400 })).not.toContain('1764590400')
    expect(created({})).toBe('–')
    expect(columnsUnder('targets', 'upstream').map((c) => c.key)).toEqual([
      'target',
      'weight',
      'tags',
    ])
  })

  it('matches a reference given as an object or a bare ID', () => {
    const rows = [{ consumer: { id: 'c1' } }, { consumer: 'c1' }, { consumer: null }]
    expect(belongingTo(rows, 'consumer', 'c1')).toHaveLength(2)
  })
})

describe('consumer group membership', () => {
  it("adds a consumer to a group from the consumer's page, (group, consumer) in order", async () => {
    backend.consumerGroupsOf.mockResolvedValue(list('consumer_groups', []))
    backend.groupEntities.mockResolvedValue(list('consumer_groups', [{ id: 'cg1', name: 'gold' }]))
    backend.addConsumerGroupMember.mockResolvedValue(undefined)
    const m = mounted(() => useMembership('g1', 'groups', 'c1'))
    await flushPromises()
    expect(m.items.value).toEqual([{ label: 'gold', value: 'cg1' }])
    m.chosen.value = 'cg1'
    await m.add()
    expect(backend.addConsumerGroupMember).toHaveBeenCalledWith('g1', 'cg1', 'c1')
    expect(m.chosen.value).toBeNull()
  })

  it("removes a member from the group's page and counts its members for the list", async () => {
    backend.consumerGroupMembers.mockResolvedValue(list('consumers', consumers))
    backend.groupEntities.mockResolvedValue(list('consumers', consumers))
    const m = mounted(() => useMembership('g1', 'members', 'cg1'))
    await flushPromises()
    expect(memberCountOf({ id: 'cg1' })).toBe(2)
    expect(m.items.value).toEqual([])
    m.removal.ask(consumers[1])
    await m.removal.confirm()
    expect(backend.removeConsumerGroupMember).toHaveBeenCalledWith('g1', 'cg1', 'c2')
  })

  it('offline lists the cached members and allows no change', async () => {
    backend.consumerGroupMembers.mockResolvedValue(list('consumers', consumers, OFFLINE))
    backend.groupEntities.mockResolvedValue(list('consumers', consumers, OFFLINE))
    const m = mounted(() => useMembership('g1', 'members', 'cg9'))
    await flushPromises()
    expect(m.rows.value).toHaveLength(2)
    expect(m.whyNotChange.value).toContain('Offline')
  })

  it('offers only those not in yet', () => {
    expect(candidates('consumers', consumers, [consumers[0]])).toEqual([
      { label: 'bob', value: 'c2' },
    ])
  })
})

describe('forms offline', () => {
  it('open from the cached schema read-only', async () => {
    backend.entitySchema.mockResolvedValue({
      schema: { fields: [{ name: { type: 'string' } }] },
      offline_reason: OFFLINE,
    })
    const form = mounted(() => useEntityForm('g1', () => 'consumer_groups'))
    await form.open(null)
    expect(form.disabled.value).toBe(true)
    expect(form.schemaNote.value).toMatch(/read-only/i)
  })

  it('a new credential starts on its consumer', async () => {
    backend.entitySchema.mockResolvedValue({
      schema: {
        fields: [
          { consumer: { type: 'foreign', reference: 'consumers', required: true } },
          { key: { type: 'string' } },
        ],
      },
      offline_reason: null,
    })
    backend.groupEntities.mockResolvedValue(list('consumers', consumers))
    const form = mounted(() => useEntityForm('g1', () => 'jwts'))
    await form.open(null, { consumer: 'c1' })
    expect(form.disabled.value).toBe(false)
    expect(form.values.value.consumer).toBe('c1')
  })
})

describe('what lists show', () => {
  it('a certificate by its subject and expiry, read in Rust', async () => {
    const details = {
      subject: 'CN=api.example.com, O=Example',
      common_name: 'api.example.com',
      issuer: 'CN=api.example.com',
      sans: ['api.example.com'],
      not_before: '2025-01-01T00:00:00Z',
      not_after: '2031-06-30T00:00:00Z',
      serial: '01',
      chain_length: 1,
    }
    backend.certificateDetails.mockResolvedValue(details)
    const row = { id: 'cert1', cert: '-----BEGIN CERTIFICATE-----\nMII…' }
    const spec = specFor('certificates')
    const cell = (key: string) => spec.columns.find((c) => c.key === key)!.get!(row)
    expect(cell('subject')).toBe('…')
    annotateRows('g1', 'certificates', [row])
    await flushPromises()
    expect(certificateOf(row)).toEqual(details)
    expect(cell('subject')).toBe('api.example.com')
    expect(cell('expiry')).toBe('2031-06-30')
    expect(expiryText(details, new Date('2032-01-01'))).toBe('2031-06-30 (expired)')
  })

  it('an expiry in days either way', () => {
    const now = new Date('2026-01-01T00:00:00Z')
    expect(expiresIn('2026-01-11T00:00:00Z', now)).toBe('in 10 days')
    expect(expiresIn('2025-12-31T00:00:00Z', now)).toBe('1 day ago')
  })

  it('tags once each, and the rows with one', () => {
    expect(tagsOf(targets)).toEqual(['blue', 'green'])
    expect(withTag(targets, 'blue').map((t) => t.id)).toEqual(['t1'])
    expect(withTag(targets, null)).toHaveLength(3)
  })
})

describe('the Details tab', () => {
  it('hides a private key, links references and shows structure as code', () => {
    const rows = detailRows('certificates', {
      id: 'cert1',
      cert: 'PEM',
      key: 'SECRET',
      snis: ['api.example.com'],
    })
    expect(rows.find((r) => r.key === 'key')).toEqual({ key: 'key', label: 'Key', show: 'hidden' })
    expect(rows.find((r) => r.key === 'cert')?.show).toBe('code')
    expect(JSON.stringify(rows)).not.toContain('SECRET')
    const plugin = detailRows('plugins', { service: { id: 's1' }, config: { minute: 5 } })
    expect(plugin[0]).toMatchObject({ show: 'link', kind: 'services', id: 's1' })
    expect(plugin[1].show).toBe('code')
    expect(fieldLabel('read_timeout')).toBe('Read timeout')
    expect(fieldLabel('client_id')).toBe('Client ID')
    const upstream = { algorithm: 'round-robin', created_at: 1, id: 'u1', name: 'u', slots: 10 }
    expect(detailRows('upstreams', upstream).map((r) => r.key)).toEqual([
      'name',
      'id',
      'algorithm',
      'slots',
      'created_at',
    ])
  })
})

describe('a certificate form', () => {
  it('sends a pasted PEM with its closing newline, trimmed of the rest', () => {
    // As the control plane serves it: Kong's typedefs are not marked on the fields.
    const nodes = formTree(
      [{ cert: { type: 'string', required: true } }, { key: { type: 'string', required: true } }],
      '',
    )
    expect(nodes.map((n) => n.control)).toEqual(['textarea', 'textarea'])
    const values = initialValues(nodes, null)
    values.cert = '  -----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----  '
    const { body } = toBody(nodes, values, null)
    expect(body.cert).toBe('-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n')
  })
})
