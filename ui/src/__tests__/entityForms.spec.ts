import { describe, expect, it } from 'vitest'
import { initialValues, toBody } from '../entityForms'
import { KINDS, sortRows } from '../entityColumns'

describe('entity forms', () => {
  it('turns form values into a Kong body, leaving blanks to the defaults', () => {
    const { body, errors } = toBody('services', {
      ...initialValues('services'),
      name: 'payments',
      host: 'pay.internal',
      port: '8080',
      tags: 'a, b',
    })
    expect(errors).toEqual({})
    expect(body).toMatchObject({
      name: 'payments',
      host: 'pay.internal',
      port: 8080,
      tags: ['a', 'b'],
      enabled: true,
    })
    expect(body).not.toHaveProperty('path')
  })

  it('checks required fields, ranges and shapes on their fields', () => {
    const { errors } = toBody('services', {
      ...initialValues('services'),
      port: '70000',
      path: 'v1',
    })
    expect(errors.host).toBe('Host is required.')
    expect(errors.port).toBe('Port must be at most 65535.')
    expect(errors.path).toBe('Path must start with /.')
    expect(toBody('routes', initialValues('routes')).errors.paths).toContain(
      'at least one of hosts, paths or methods',
    )
    expect(
      toBody('plugins', { ...initialValues('plugins'), name: 'rate-limiting', config: '{bad' })
        .errors.config,
    ).toBe('Configuration is not valid JSON.')
  })

  it('lets a plugin have one scope at most', () => {
    const { errors } = toBody('plugins', {
      ...initialValues('plugins'),
      name: 'key-auth',
      service: 's1',
      route: 'r1',
    })
    expect(errors.service).toContain('Choose one scope')
    // Global: every scope sent as null, so an edit to global clears the old scope.
    expect(toBody('plugins', { ...initialValues('plugins'), name: 'key-auth' }).body).toMatchObject(
      { service: null, route: null, consumer: null, consumer_group: null },
    )
    expect(
      toBody('plugins', { ...initialValues('plugins'), name: 'key-auth', route: 'r1' }).body,
    ).toMatchObject({ route: { id: 'r1' }, service: null })
  })

  it('starts an edit from the entity', () => {
    const v = initialValues('routes', {
      name: 'users',
      paths: ['/users', '/u'],
      service: { id: 's1' },
      strip_path: false,
    })
    expect(v).toMatchObject({
      name: 'users',
      paths: '/users, /u',
      service: 's1',
      strip_path: false,
      preserve_host: false,
    })
  })
})

describe('sortRows', () => {
  const services = KINDS.find((k) => k.kind === 'services')!
  const rows = [
    { id: 'c', name: 'svc-10', port: 8080 },
    { id: 'a', name: 'svc-9', port: 443 },
    { id: 'b', name: null, port: 80 },
  ]
  it('orders numbers as numbers and names naturally, empty values last', () => {
    expect(sortRows(rows, services, { key: 'port', descending: false }).map((r) => r.port)).toEqual(
      [80, 443, 8080],
    )
    expect(sortRows(rows, services, { key: 'name', descending: false }).map((r) => r.id)).toEqual([
      'a',
      'c',
      'b',
    ])
    expect(sortRows(rows, services, { key: 'name', descending: true }).map((r) => r.id)).toEqual([
      'c',
      'a',
      'b',
    ])
    expect(sortRows(rows, services, null)).toBe(rows)
  })
})
