// The vocabulary generated from Rust: kinds, time frames, labels and the fuzzy rule (the same
// cases as crates/console/src/search.rs, so the palette and the list filters agree).
import { describe, expect, it } from 'vitest'
import {
  ENTITY_KINDS,
  TIME_FRAMES,
  asEntityKind,
  entityLabel,
  fuzzyMatches,
  fuzzyScore,
  kindName,
} from '../vocabulary'

describe('vocabulary', () => {
  it('has every kind and time frame from Rust', () => {
    expect(ENTITY_KINDS).toHaveLength(18)
    expect(TIME_FRAMES).toEqual(['15m', '1h', '6h', '12h', '24h', '7d', '30d'])
    expect(asEntityKind('key-sets')).toBe('key-sets')
    expect(asEntityKind('widgets')).toBeNull()
    expect(kindName('key-auths')).toBe('key-auth credential')
    expect(kindName('group')).toBe('runtime group')
  })

  it('names a row by its first naming field, else its id', () => {
    expect(entityLabel('vaults', { id: 'v1', name: 'env', prefix: 'secrets' })).toBe('secrets')
    expect(entityLabel('consumers', { id: 'c1', custom_id: 'x' })).toBe('x')
    expect(entityLabel('certificates', { id: 'cert-1' })).toBe('cert-1')
    expect(entityLabel('plugins', { id: 'p', name: 'key-auth', instance_name: 'mine' })).toBe(
      'mine',
    )
  })

  it('scores as the search palette does', () => {
    expect(fuzzyScore('ord', 'orders')!).toBeGreaterThan(fuzzyScore('ord', 'o-r-d')!)
    expect(fuzzyScore('users', 'users')!).toBeGreaterThan(fuzzyScore('users', 'users-api')!)
    expect(fuzzyScore('zzz', 'users-api')).toBeNull()
    expect(fuzzyScore('usr', 'users-api')).not.toBeNull()
    expect(fuzzyScore('', 'users')).toBeNull()
    expect(fuzzyMatches('usr api', ['users-api'])).toBe(true)
    expect(fuzzyMatches('usr zzz', ['users-api'])).toBe(false)
  })
})
