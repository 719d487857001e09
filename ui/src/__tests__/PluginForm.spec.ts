// The plugin form end to end in the DOM: catalog, search, pick cors, scope, configuration from
// its real schema, save; and a nested API error landing on its field (rate-limiting's redis host).
import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import PluginForm from '../components/plugins/PluginForm.vue'
import { pluginSchema } from './kongSchemas'

const { backend } = vi.hoisted(() => ({
  backend: {
    access: vi.fn(),
    availablePlugins: vi.fn(),
    pluginSchema: vi.fn(),
    groupEntities: vi.fn(),
    createEntity: vi.fn(),
    updateEntity: vi.fn(),
  },
}))
vi.mock('../backend', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../backend')>()),
  backend,
}))

const schemaOf = (name: string) => ({
  group_id: 'g1',
  name: `plugins/${name}`,
  schema: pluginSchema(name),
  fetched_at: '2026-11-30T12:00:00Z',
  offline_reason: null,
})

// Mounting whole forms is slow on a machine busy with builds: give each test room.
vi.setConfig({ testTimeout: 20_000 })

let w: VueWrapper | null = null
afterEach(() => {
  w?.unmount()
  w = null
  vi.resetAllMocks()
})

async function open(entity: Record<string, unknown> | null = null) {
  backend.availablePlugins.mockResolvedValue({
    group_id: 'g1',
    names: ['cors', 'key-auth', 'rate-limiting', 'acme', 'datadog'],
    fetched_at: '',
    offline_reason: null,
  })
  backend.pluginSchema.mockImplementation(async (_g: string, name: string) => schemaOf(name))
  backend.groupEntities.mockResolvedValue({ rows: [{ id: 's1', name: 'orders' }] })
  backend.access.mockResolvedValue({ groups: [] })
  w = mount(PluginForm, {
    props: { visible: true, groupId: 'g1', entity },
    attachTo: document.body,
  })
  await flushPromises()
}

const $ = (sel: string) => document.querySelector(sel) as HTMLElement | null
const save = async () => {
  $('[data-testid="modal-action-button"]')!.click()
  await flushPromises()
}

describe('PluginForm', () => {
  it('searches the catalog, picks cors, and saves its configuration', async () => {
    await open()
    expect($('[data-testid="plugin-group-Security"]')).not.toBeNull()
    const search = $('[data-testid="plugin-search"] input, input[data-testid="plugin-search"]')
    ;(search as HTMLInputElement).value = 'cors'
    search!.dispatchEvent(new Event('input'))
    await flushPromises()
    expect($('[data-testid="plugin-card-key-auth"]')).toBeNull()
    $('[data-testid="plugin-card-cors"]')!.click()
    await flushPromises()
    // Auth-free, but cors cannot target a consumer: its schema says consumer eq null.
    expect($('[data-testid="scope-service"]')).not.toBeNull()
    expect($('[data-testid="scope-consumer"]')).toBeNull()
    const origins = $('[data-testid="entity-field-config.origins"] input') as HTMLInputElement
    origins.value = 'https://a.example, https://b.example'
    origins.dispatchEvent(new Event('input'))
    origins.dispatchEvent(new Event('blur'))
    await flushPromises()
    backend.createEntity.mockResolvedValue({ id: 'p1', name: 'cors' })
    await save()
    expect(backend.createEntity).toHaveBeenCalledTimes(1)
    const [, kind, body] = backend.createEntity.mock.calls[0]
    expect(kind).toBe('plugins')
    expect(body).toMatchObject({
      name: 'cors',
      enabled: true,
      protocols: ['grpc', 'grpcs', 'http', 'https'],
      service: null,
      consumer: null,
      config: { origins: ['https://a.example', 'https://b.example'], credentials: false },
    })
    expect(body.config.methods).toHaveLength(9)
    expect(w!.emitted('saved')).toHaveLength(1)
  })

  it('shows acme as global only', async () => {
    await open()
    $('[data-testid="plugin-card-acme"]')!.click()
    await flushPromises()
    expect($('[data-testid="scope-global"]')).not.toBeNull()
    expect($('[data-testid="scope-service"]')).toBeNull()
    expect($('[data-testid="plugin-scope-ruled-out"]')!.textContent).toContain('gateway service')
  })

  it('puts a nested API error on its field and keeps what was typed', async () => {
    await open({
      id: 'p9',
      name: 'rate-limiting',
      service: { id: 's1' },
      config: { minute: 5, policy: 'local', redis: { port: 6379 } },
    })
    // The edit opens on the form, scoped as the plugin is.
    expect($('[data-testid="plugin-catalog"]')).toBeNull()
    expect(($('[data-testid="scope-service"]') as HTMLInputElement).checked).toBe(true)
    backend.updateEntity.mockRejectedValue({
      code: 'validation',
      message: 'schema violation',
      fields: { 'config.redis.host': 'required field missing' },
    })
    await save()
    const field = $('[data-testid="entity-field-config.redis.host"]')!
    expect(field.classList.contains('has-error')).toBe(true)
    expect(field.textContent).toContain('Host is required.')
    expect($('[data-testid="entity-form-error"]')).toBeNull()
    const minute = $('[data-testid="entity-field-config.minute"] input') as HTMLInputElement
    expect(minute.value).toBe('5')
    // Kong's encrypted fields are masked.
    const password = $(
      '[data-testid="entity-field-config.redis.password"] input',
    ) as HTMLInputElement
    expect(password.type).toBe('password')
  })

  it('checks before sending: a scope needs its entity, a limit is needed', async () => {
    await open()
    $('[data-testid="plugin-card-rate-limiting"]')!.click()
    await flushPromises()
    await save()
    expect(backend.createEntity).not.toHaveBeenCalled()
    expect($('[data-testid="entity-field-config.second"]')!.textContent).toContain(
      'Set at least one of: Second, Minute, Hour, Day, Month, Year.',
    )
  })

  it('edits a list of records as cards: add one, remove one, save the rest', async () => {
    await open()
    $('[data-testid="plugin-card-datadog"]')!.click()
    await flushPromises()
    const cards = () =>
      document.querySelectorAll(
        '[data-testid="entity-field-config.metrics"] [data-testid="record-item"]',
      )
    const defaults = pluginSchema('datadog')
      .fields.find((f) => 'config' in f)!
      .config.fields!.find((f) => 'metrics' in f)!.metrics.default as { name: string }[]
    expect(cards()).toHaveLength(defaults.length)
    ;(
      document.querySelector(
        '[data-testid="entity-field-config.metrics"] [data-testid="record-add"]',
      ) as HTMLElement
    ).click()
    await flushPromises()
    expect(cards()).toHaveLength(defaults.length + 1)
    const last = defaults.length
    const rate = $(
      `[data-testid="entity-field-config.metrics[${last}].sample_rate"] input`,
    ) as HTMLInputElement
    rate.value = '0.5'
    rate.dispatchEvent(new Event('input'))
    await flushPromises()
    const removeCard = async (i: number) => {
      ;(cards()[i].querySelector('[data-testid="record-remove"]') as HTMLElement).click()
      await flushPromises()
    }
    await removeCard(0)
    expect(cards()).toHaveLength(defaults.length)
    // The items after the removed one moved up, their values with them.
    const moved = $(
      `[data-testid="entity-field-config.metrics[${last - 1}].sample_rate"] input`,
    ) as HTMLInputElement
    expect(moved.value).toBe('0.5')
    await removeCard(last - 1)
    backend.createEntity.mockResolvedValue({ id: 'p2', name: 'datadog' })
    await save()
    const body = backend.createEntity.mock.calls[0][2]
    expect(body.config.metrics).toHaveLength(defaults.length - 1)
    expect(body.config.metrics[0].name).toBe(defaults[1].name)
  })
})
