// The renderer's mapping from Kong's schema to controls, values and request bodies, over the real
// plugin schemas and the control plane's entity schemas.
import { describe, expect, it } from 'vitest'
import {
  controlOf,
  formTree,
  initialValues,
  itemNodes,
  knownPaths,
  toBody,
  walk,
  type FormNode,
} from '../schema/formModel'
import { fieldLabel } from '../schema/kongSchema'
import { PLUGIN_SCHEMAS, pluginSchema, ROUTES, SERVICES } from './kongSchemas'

const byPath = (nodes: FormNode[], path: string) => walk(nodes).find((n) => n.path === path)

describe('form tree', () => {
  it('maps every Kong type of cors to its control, with defaults and bounds', () => {
    const nodes = formTree(pluginSchema('cors').fields)
    // `consumer` must be null for cors (eq: null): not a field to fill.
    expect(nodes.map((n) => n.path)).toEqual(['protocols', 'config'])
    expect(byPath(nodes, 'protocols')).toMatchObject({
      control: 'multiselect',
      options: ['grpc', 'grpcs', 'http', 'https'],
      required: true,
    })
    expect(byPath(nodes, 'config.origins')!.control).toBe('tags')
    expect(byPath(nodes, 'config.methods')!.control).toBe('multiselect')
    expect(byPath(nodes, 'config.methods')!.options).toHaveLength(9)
    expect(byPath(nodes, 'config.max_age')!.control).toBe('number')
    expect(byPath(nodes, 'config.credentials')).toMatchObject({
      control: 'boolean',
      required: true,
    })
  })

  it('folds only non-required sub-records under Advanced', () => {
    const rl = formTree(pluginSchema('rate-limiting').fields)
    // rate-limiting's redis is a required record: shown, not folded.
    expect(byPath(rl, 'config.redis')).toMatchObject({ control: 'record', advanced: false })
    expect(byPath(rl, 'config.redis.host')!.control).toBe('text')
    expect(byPath(rl, 'config.redis.port')).toMatchObject({ min: 0, max: 65535, integer: true })
    expect(byPath(rl, 'config.limit_by')).toMatchObject({ control: 'select' })
    expect(byPath(rl, 'config.minute')).toMatchObject({ control: 'number', min: 0 })
    const acme = formTree(pluginSchema('acme').fields)
    expect(byPath(acme, 'config.account_key')).toMatchObject({ control: 'record', advanced: true })
    const services = formTree(SERVICES.fields)
    expect(byPath(services, 'tls_sans')!.advanced).toBe(true)
  })

  it('leaves out server-owned fields and maps foreign keys to pickers', () => {
    const nodes = formTree(SERVICES.fields)
    const paths = nodes.map((n) => n.path)
    expect(paths).not.toContain('id')
    expect(paths).not.toContain('created_at')
    expect(paths).not.toContain('updated_at')
    expect(byPath(nodes, 'client_certificate')).toMatchObject({ control: 'foreign' })
    expect(byPath(nodes, 'client_certificate')!.def.reference).toBe('certificates')
    expect(byPath(nodes, 'protocol')!.control).toBe('select')
    expect(byPath(formTree(ROUTES.fields), 'headers')!.control).toBe('map')
  })

  it('gives every field of every real plugin schema a control', () => {
    expect(Object.keys(PLUGIN_SCHEMAS).length).toBeGreaterThanOrEqual(45)
    const controls = new Set<string>()
    for (const [name, schema] of Object.entries(PLUGIN_SCHEMAS)) {
      const nodes = walk(formTree(schema.fields))
      expect(
        nodes.some((n) => n.path === 'config'),
        name,
      ).toBe(true)
      for (const n of nodes) {
        expect(n.label, `${name} ${n.path}`).not.toBe('')
        controls.add(n.control)
      }
    }
    // Every control occurs somewhere in Kong's bundled plugins.
    expect([...controls].sort()).toEqual(
      [
        'boolean',
        'json',
        'map',
        'multiselect',
        'number',
        'record',
        'records',
        'select',
        'tags',
        'text',
      ].sort(),
    )
    // Arrays of records (statsd's metrics) are lists of cards; a map of records stays JSON.
    expect(byPath(formTree(pluginSchema('statsd').fields), 'config.metrics')!.control).toBe(
      'records',
    )
    const limits = byPath(formTree(pluginSchema('response-ratelimiting').fields), 'config.limits')
    expect(limits!.control).toBe('json')
  })

  it('reads Kong types it does not list as JSON, and PEM strings as text areas', () => {
    expect(controlOf('config', { type: 'json' })).toBe('json')
    expect(controlOf('cert', { type: 'string', pem: 'CERTIFICATE' })).toBe('textarea')
    expect(controlOf('key', { type: 'string' })).toBe('text')
  })

  it('labels fields as Konnect does', () => {
    expect(fieldLabel('connect_timeout')).toBe('Connect timeout')
    expect(fieldLabel('ssl_verify')).toBe('SSL verify')
    expect(fieldLabel('hide_client_headers')).toBe('Hide client headers')
    // Abbreviations in capitals, their plurals with a small s.
    expect(fieldLabel('ca_certificates')).toBe('CA certificates')
    expect(fieldLabel('tls_sans')).toBe('TLS SANs')
    expect(fieldLabel('snis')).toBe('SNIs')
    expect(fieldLabel('allowed_ips')).toBe('Allowed IPs')
    expect(fieldLabel('redirect_uris')).toBe('Redirect URIs')
    expect(fieldLabel('https_redirect_status_code')).toBe('HTTPS redirect status code')
    // A word that only ends like one is left alone.
    expect(fieldLabel('aliases')).toBe('Aliases')
  })
})

describe('values and bodies', () => {
  const services = formTree(SERVICES.fields)

  it('starts a create from the defaults and leaves blanks to Kong', () => {
    const v = initialValues(services, null)
    expect(v).toMatchObject({ port: '80', retries: '5', protocol: 'http', enabled: true, tags: [] })
    const { body, errors } = toBody(services, { ...v, host: 'pay.internal', tags: ['a'] }, null)
    expect(errors).toEqual({})
    expect(body).toEqual({
      retries: 5,
      protocol: 'http',
      host: 'pay.internal',
      port: 80,
      enabled: true,
      tags: ['a'],
    })
  })

  it('says what cannot be read on its field', () => {
    const v = { ...initialValues(services, null), port: '80.5', retries: 'x' }
    expect(toBody(services, v, null).errors).toEqual({
      port: 'expected an integer',
      retries: 'expected a number',
    })
    const routes = formTree(ROUTES.fields)
    const bad = toBody(formTree([{ config: { type: 'json' } }]), { config: '{bad' }, null)
    expect(bad.errors.config).toBe('not valid JSON')
    expect(knownPaths(routes).has('service')).toBe(true)
  })

  it('starts an edit from the entity and clears what is emptied', () => {
    const entity = {
      id: 's1',
      host: 'a.internal',
      port: 8080,
      path: '/v1',
      client_certificate: { id: 'c1' },
      tls_sans: { dnsnames: ['a.example'], uris: null },
    }
    const v = initialValues(services, entity)
    expect(v).toMatchObject({
      host: 'a.internal',
      port: '8080',
      path: '/v1',
      client_certificate: 'c1',
      'tls_sans.dnsnames': ['a.example'],
    })
    const { body } = toBody(services, { ...v, path: '' }, entity)
    expect(body.path).toBeNull()
    expect(body.client_certificate).toEqual({ id: 'c1' })
    expect(body.tls_sans).toEqual({ dnsnames: ['a.example'] })
  })

  it('turns map rows and nested records into objects', () => {
    const routes = formTree(ROUTES.fields)
    const v = {
      ...initialValues(routes, null),
      headers: [
        { key: 'x-version', value: 'v1, v2' },
        { key: ' ', value: 'ignored' },
      ],
      service: 's1',
    }
    const { body } = toBody(routes, v, null)
    expect(body.headers).toEqual({ 'x-version': ['v1', 'v2'] })
    expect(body.service).toEqual({ id: 's1' })
    expect(body.protocols).toEqual(['http', 'https'])
    const rl = formTree(pluginSchema('rate-limiting').fields)
    const rlBody = toBody(
      rl,
      { ...initialValues(rl, null), 'config.minute': '5', 'config.redis.host': 'redis' },
      null,
    ).body as { config: { minute: number; redis: { host: string; port: number } } }
    expect(rlBody.config.minute).toBe(5)
    expect(rlBody.config.redis).toMatchObject({ host: 'redis', port: 6379 })
  })

  it('lists records as items with their own fields, from defaults to a body and back', () => {
    const nodes = formTree(pluginSchema('datadog').fields)
    const metrics = byPath(nodes, 'config.metrics')!
    const v = initialValues(nodes, null)
    const items = v['config.metrics'] as Record<string, unknown>[]
    const defaults = metrics.def.default as Record<string, unknown>[]
    expect(items).toHaveLength(defaults.length)
    expect(items[0]['config.metrics[0].name']).toBe(defaults[0].name)
    expect(itemNodes(metrics, 1).map((n) => n.path)).toContain('config.metrics[1].stat_type')
    const body = toBody(nodes, v, null).body as { config: { metrics: Record<string, unknown>[] } }
    expect(body.config.metrics).toHaveLength(defaults.length)
    expect(body.config.metrics[0]).toMatchObject({
      name: defaults[0].name,
      stat_type: defaults[0].stat_type,
    })
    // An edit reads each item back into its fields.
    const edited = initialValues(nodes, {
      config: { metrics: [{ name: 'latency', sample_rate: 1 }] },
    })
    expect(edited['config.metrics']).toEqual([
      expect.objectContaining({
        'config.metrics[0].name': 'latency',
        'config.metrics[0].sample_rate': '1',
      }),
    ])
  })
})
