// Cells as text and the configuration filter, shared by every entity kind.
import { describe, expect, it } from 'vitest'
import { cellText, columnWidths, KINDS, longestTexts, matches, sortRows } from '../entityColumns'

describe('entity columns', () => {
  it('renders lists, booleans, references and blanks', () => {
    expect(cellText(['GET', 'POST'])).toBe('GET, POST')
    expect(cellText(true)).toBe('Yes')
    expect(cellText({ id: '7f9fd312-a987-4628-b4c5-bb4f4fddd5f7' })).toBe('7f9fd312')
    expect(cellText(null)).toBe('–')
    expect(cellText([])).toBe('–')
  })

  it('filters on any column, the id and tags, word by word, fuzzy as the palette', () => {
    const services = KINDS.find((k) => k.kind === 'services')!
    const row = { id: 'abc-123', name: 'users-api', host: 'users.internal', tags: ['team-a'] }
    expect(matches(row, services, 'usr')).toBe(true)
    expect(matches(row, services, 'rsu')).toBe(false)
    expect(matches(row, services, 'users internal')).toBe(true)
    expect(matches(row, services, 'team-a')).toBe(true)
    expect(matches(row, services, 'abc')).toBe(true)
    expect(matches(row, services, 'orders')).toBe(false)
  })

  it('lists the kinds in the Configuration view order, named as the vocabulary names them', () => {
    expect(KINDS.map((k) => k.kind)).toEqual([
      'services',
      'routes',
      'consumers',
      'consumer_groups',
      'plugins',
      'upstreams',
      'certificates',
      'snis',
      'vaults',
      'keys',
      'key-sets',
    ])
    expect(KINDS[0].label).toBe('Gateway services')
    expect(KINDS.every((k) => k.columns.length > 0)).toBe(true)
  })

  it('says where a plugin applies', () => {
    const plugins = KINDS.find((k) => k.kind === 'plugins')!
    const applied = plugins.columns.find((c) => c.key === 'applied_to')!
    expect(applied.get!({ name: 'key-auth' })).toBe('Global')
    expect(applied.get!({ name: 'key-auth', service: { id: 'x' } })).toBe('Gateway service')
    expect(
      applied.get!({ name: 'rate-limiting', route: { id: 'r' }, consumer_group: { id: 'g' } }),
    ).toBe('Route + Consumer group')
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

  it('gives the name column the room its longest name needs, the others what is left', () => {
    const services = KINDS.find((k) => k.kind === 'services')!.columns
    const px = (w: string[]) => w.map((x) => Number(x.replace('px', '')))
    // 1280 px window: about 950 px of table.
    const byShare = px(columnWidths(services, 950, 0))
    const roomy = px(columnWidths(services, 950, 320))
    expect(roomy[0]).toBe(320)
    expect(roomy[0]).toBeGreaterThan(byShare[0])
    expect(roomy.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(950)
    expect(Math.min(...roomy.slice(1, -2))).toBeGreaterThanOrEqual(64)
    // A name longer than the table can give: the others keep their least, the name the rest.
    const huge = px(columnWidths(services, 950, 5000))
    expect(huge.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(950)
    expect(Math.min(...huge.slice(1, -2))).toBeGreaterThanOrEqual(64)
    // Not laid out yet: shares as percentages.
    expect(columnWidths(services, 0, 300)[0]).toMatch(/%$/)
  })
})

describe('longestTexts', () => {
  it('keeps the n longest, longest first, earlier ones first among equals', () => {
    const texts = ['ab', 'abcd', 'a', 'abc', 'wxyz', 'xy', 'abcde']
    expect(longestTexts(texts, 3)).toEqual(['abcde', 'abcd', 'wxyz'])
    expect(longestTexts(texts, 10)).toHaveLength(7)
    expect(longestTexts([], 3)).toEqual([])
  })
  it('picks the same as a full sort over many names', () => {
    const names = Array.from({ length: 2000 }, (_, i) =>
      `route-${(i * 7919) % 2000}`.repeat(1 + (i % 5)),
    )
    const sorted = [...names].sort((a, b) => b.length - a.length).slice(0, 40)
    expect(longestTexts(names, 40).map((t) => t.length)).toEqual(sorted.map((t) => t.length))
  })
})
