// The catalog's groups, search and the scopes each plugin allows, from the real schemas.
import { describe, expect, it } from 'vitest'
import { allowedScopes, catalogPlugin, GROUP_ORDER, groupCatalog } from '../pluginCatalog'
import { PLUGIN_SCHEMAS, pluginSchema } from './kongSchemas'

const ALL = Object.keys(PLUGIN_SCHEMAS)

describe('plugin catalog', () => {
  it("groups Kong's bundled plugins in Konnect's order, each under a known group", () => {
    const groups = groupCatalog(ALL)
    expect(groups.map((g) => g.group)).toEqual(GROUP_ORDER)
    expect(groups.flatMap((g) => g.plugins)).toHaveLength(ALL.length)
    const auth = groups.find((g) => g.group === 'Authentication')!.plugins.map((p) => p.name)
    expect(auth.sort()).toEqual(
      ['basic-auth', 'hmac-auth', 'jwt', 'key-auth', 'ldap-auth', 'oauth2', 'session'].sort(),
    )
    expect(groups.find((g) => g.group === 'Security')!.plugins.map((p) => p.name)).toContain('cors')
  })

  it('names and describes a plugin, and puts an unknown one under Other', () => {
    expect(catalogPlugin('cors')).toMatchObject({ title: 'CORS', group: 'Security' })
    expect(catalogPlugin('cors').description).not.toBe('')
    const custom = groupCatalog(['cors', 'my-plugin'])
    expect(custom.map((g) => g.group)).toEqual(['Security', 'Other'])
    expect(custom[1].plugins[0]).toMatchObject({ name: 'my-plugin', title: 'my-plugin' })
  })

  it('searches names, titles and descriptions', () => {
    expect(groupCatalog(ALL, 'cors').flatMap((g) => g.plugins.map((p) => p.name))).toEqual(['cors'])
    const limits = groupCatalog(ALL, 'rate limit').flatMap((g) => g.plugins.map((p) => p.name))
    expect(limits).toContain('rate-limiting')
    expect(limits).not.toContain('cors')
    expect(groupCatalog(ALL, 'zzzz')).toEqual([])
  })
})

describe('allowed scopes', () => {
  it('rules out what the schema forbids (eq: null) and the metadata does not support', () => {
    // Auth plugins: consumer = typedefs.no_consumer.
    expect(allowedScopes('key-auth', pluginSchema('key-auth'))).toEqual([
      'global',
      'service',
      'route',
    ])
    expect(allowedScopes('cors', pluginSchema('cors'))).toEqual(['global', 'service', 'route'])
    // acme: global only.
    expect(allowedScopes('acme', pluginSchema('acme'))).toEqual(['global'])
    // rate-limiting: every scope, consumer groups included.
    expect(allowedScopes('rate-limiting', pluginSchema('rate-limiting'))).toEqual([
      'global',
      'service',
      'route',
      'consumer',
      'consumer_group',
    ])
    // Logging plugins: not consumer groups.
    expect(allowedScopes('http-log', pluginSchema('http-log'))).toEqual([
      'global',
      'service',
      'route',
      'consumer',
    ])
    // A plugin Kong's metadata does not know: the schema alone decides.
    expect(
      allowedScopes('mine', { fields: [{ consumer: { type: 'foreign', eq: null } }] }),
    ).toEqual(['global', 'service', 'route', 'consumer_group'])
  })
})
