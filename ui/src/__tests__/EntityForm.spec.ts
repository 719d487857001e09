// The entity form from a kind's schema: fields with their test ids, foreign-key choices, optional
// records folded until an error sits inside, and JSON when the kind has no schema.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import EntityForm from '../components/EntityForm.vue'
import type { EntityKind } from '../vocabulary'
import { ROUTES, SERVICES } from './kongSchemas'

const { backend } = vi.hoisted(() => ({
  backend: {
    access: vi.fn(),
    entitySchema: vi.fn(),
    groupEntities: vi.fn(),
    createEntity: vi.fn(),
    updateEntity: vi.fn(),
  },
}))
vi.mock('../backend', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../backend')>()),
  backend,
}))

// Mounting whole forms is slow on a machine busy with builds: give each test room.
vi.setConfig({ testTimeout: 20_000 })

let w: VueWrapper | null = null
afterEach(() => {
  w?.unmount()
  w = null
  vi.resetAllMocks()
})

const $ = (sel: string) => document.querySelector(sel) as HTMLElement | null
/** Whether an element shows: no ancestor hidden by v-show. */
function shown(el: HTMLElement | null): boolean {
  for (let e = el; e; e = e.parentElement) if (e.style.display === 'none') return false
  return !!el
}
const typeIn = async (path: string, text: string) => {
  const i = $(`[data-testid="entity-field-${path}"] input`) as HTMLInputElement
  i.value = text
  i.dispatchEvent(new Event('input'))
  await flushPromises()
}
const save = async () => {
  $('[data-testid="modal-action-button"]')!.click()
  await flushPromises()
}

async function open(kind: EntityKind, schema: unknown, entity: Record<string, unknown> | null) {
  backend.entitySchema.mockImplementation(async () => {
    if (!schema) throw { code: 'not_found', message: 'no schema cached', fields: {} }
    return { group_id: 'g1', name: kind, schema, fetched_at: '', offline_reason: null }
  })
  backend.groupEntities.mockResolvedValue({ rows: [{ id: 's1', name: 'orders' }] })
  backend.access.mockResolvedValue({ groups: [] })
  w = mount(EntityForm, {
    props: { visible: true, groupId: 'g1', kind, singular: 'thing', entity },
    attachTo: document.body,
  })
  await flushPromises()
}

describe('EntityForm', () => {
  it('renders the schema, checks on the fields, and creates', async () => {
    await open('services', SERVICES, null)
    expect($('[data-testid="entity-field-id"]')).toBeNull()
    expect(($('[data-testid="entity-field-port"] input') as HTMLInputElement).value).toBe('80')
    await typeIn('port', '70000')
    await save()
    expect(backend.createEntity).not.toHaveBeenCalled()
    expect($('[data-testid="entity-field-host"]')!.textContent).toContain('Host is required.')
    expect($('[data-testid="entity-field-port"]')!.textContent).toContain(
      'Port must be between 0 and 65535.',
    )
    await typeIn('host', 'pay.internal')
    await typeIn('port', '8080')
    backend.createEntity.mockResolvedValue({ id: 'n1' })
    await save()
    expect(backend.createEntity.mock.calls[0][2]).toMatchObject({
      host: 'pay.internal',
      port: 8080,
    })
    expect(w!.emitted('saved')).toHaveLength(1)
  })

  it('folds optional records under Advanced and opens them on an error inside', async () => {
    await open('services', SERVICES, { id: 's9', host: 'a', port: 80 })
    const dnsnames = () => $('[data-testid="entity-field-tls_sans.dnsnames"]')
    expect(shown(dnsnames())).toBe(false)
    backend.updateEntity.mockRejectedValue({
      code: 'validation',
      message: 'schema violation',
      fields: { 'tls_sans.dnsnames': 'expected an array' },
    })
    await save()
    await flushPromises()
    expect(shown(dnsnames())).toBe(true)
    expect(dnsnames()!.textContent).toContain('expected an array')
    expect(backend.updateEntity.mock.calls[0][3]).toMatchObject({ host: 'a', port: 80 })
  })

  it('offers the group’s entities for a foreign key', async () => {
    await open('routes', ROUTES, { id: 'r1', paths: ['/a'], service: { id: 's1' } })
    expect(backend.groupEntities).toHaveBeenCalledWith('g1', 'services')
    const svc = $('[data-testid="entity-field-service"] input') as HTMLInputElement
    expect(svc.value).toBe('orders')
  })

  it('edits as JSON when the kind has no schema, and says why', async () => {
    await open('vaults', null, { id: 'v1', prefix: 'env-secrets', name: 'env' })
    expect($('[data-testid="entity-form-schema-note"]')!.textContent).toContain('no schema cached')
    const json = $('[data-testid="entity-field-json"] textarea') as HTMLTextAreaElement
    expect(JSON.parse(json.value)).toEqual({ prefix: 'env-secrets', name: 'env' })
    json.value = '{"prefix": "env-secrets", "name": "env", "description": "x"}'
    json.dispatchEvent(new Event('input'))
    await flushPromises()
    backend.updateEntity.mockResolvedValue({ id: 'v1' })
    await save()
    expect(backend.updateEntity).toHaveBeenCalledWith('g1', 'vaults', 'v1', {
      prefix: 'env-secrets',
      name: 'env',
      description: 'x',
    })
  })
})
