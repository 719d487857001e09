// API errors onto the fields the form shows, nested ones included, and Kong's messages as
// sentences.
import { describe, expect, it } from 'vitest'
import { sayError, splitFieldErrors } from '../schema/fieldErrors'
import { formTree, knownPaths } from '../schema/formModel'
import { pluginSchema } from './kongSchemas'

const err = (fields: Record<string, string>) => ({
  code: 'validation' as const,
  message: 'schema violation',
  fields,
})

describe('API errors on nested fields', () => {
  const known = knownPaths(formTree(pluginSchema('rate-limiting').fields))

  it('puts a nested error on its own field', () => {
    expect(splitFieldErrors(err({ 'config.redis.host': 'required field missing' }), known)).toEqual(
      { fields: { 'config.redis.host': 'required field missing' }, form: '' },
    )
  })

  it('puts a list item’s error on its list, and an unknown part on the nearest field', () => {
    const cors = knownPaths(formTree(pluginSchema('cors').fields))
    expect(
      splitFieldErrors(err({ 'config.origins[2]': 'not a valid regex' }), cors).fields,
    ).toEqual({ 'config.origins': 'config.origins[2]: not a valid regex' })
    const routes = new Set(['headers', 'paths'])
    expect(splitFieldErrors(err({ 'headers.x-version': 'invalid regex' }), routes).fields).toEqual({
      headers: 'headers.x-version: invalid regex',
    })
  })

  it('says what names no field above the form', () => {
    expect(
      splitFieldErrors(err({ '@entity': 'at least one of these fields must be non-empty' }), known),
    ).toEqual({
      fields: {},
      form: 'schema violation @entity: at least one of these fields must be non-empty',
    })
  })
})

describe('sayError', () => {
  it("turns Kong's messages into sentences naming the field", () => {
    expect(sayError('Host', 'required field missing')).toBe('Host is required.')
    expect(sayError('Port', 'value should be between 0 and 65535')).toBe(
      'Port must be between 0 and 65535.',
    )
    expect(sayError('Minute', 'value must be greater than 0')).toBe(
      'Minute must be greater than 0.',
    )
    // A message it has no sentence for is said as Kong says it.
    expect(sayError('Name', 'name (type: unique) constraint failed')).toBe(
      'name (type: unique) constraint failed',
    )
  })
})
