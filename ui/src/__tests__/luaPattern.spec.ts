import { describe, expect, it } from 'vitest'
import { luaFind, luaPatternToRegExp } from '../schema/luaPattern'

describe('Lua patterns', () => {
  it('translates the classes Kong schemas use', () => {
    // typedefs.http_method
    expect(luaFind('GET', '^%u+$')).toBe(true)
    expect(luaFind('get', '^%u+$')).toBe(false)
    // request-transformer's "name:value"
    expect(luaFind('x-a:1', '^[^:]+:.*$')).toBe(true)
    expect(luaFind(':1', '^[^:]+:.*$')).toBe(false)
    expect(luaFind('a:', '^.*[^:]$')).toBe(false)
    // A `-` after a quantified item is a plain character, not a lazy quantifier.
    expect(luaFind('10-20', '^[0-9]+-[0-9]+$')).toBe(true)
    expect(luaFind('1020', '^[0-9]+-[0-9]+$')).toBe(false)
  })

  it('escapes with % and keeps sets, ranges and escapes inside them', () => {
    expect(
      luaFind('Content-Length', '^[Cc][Oo][Nn][Tt][Ee][Nn][Tt]%-[Ll][Ee][nn][Gg][Tt][Hh]$'),
    ).toBe(true)
    expect(luaFind('ContentXLength', '^[Cc][Oo][Nn][Tt][Ee][Nn][Tt]%-[Ll]')).toBe(false)
    // The opentelemetry header-name pattern: no leading/trailing space, no * & % \ `.
    const header = '^[^%s*&%%\\`][^*&%%\\`]*[^%s*&%%\\`]$'
    expect(luaFind('x-trace', header)).toBe(true)
    expect(luaFind(' x-trace', header)).toBe(false)
    expect(luaFind('x%trace', header)).toBe(false)
    expect(luaFind('x\\trace', header)).toBe(false)
    // Wildcard hosts (match_any / match_all of routes' snis and hosts).
    expect(luaFind('*.example.com', '^%*%.')).toBe(true)
    expect(luaFind('example.*', '%.%*$')).toBe(true)
    expect(luaFind('a*b*c', '^[^*]*%*?[^*]*$')).toBe(false)
    expect(luaFind('a//b', '//')).toBe(true)
  })

  it('reads `.` as any character, `-` as lazy and anchors only at the ends', () => {
    expect(luaPatternToRegExp('a.-b')!.exec('aXbYb')![0]).toBe('aXb')
    expect(luaFind('a^b', 'a^b')).toBe(true)
    expect(luaFind('a$b', 'a$b')).toBe(true)
    expect(luaFind('user@example.com', '%w*%p*@+%w*%.?%w*')).toBe(true)
    expect(luaFind('a.b', '^[%w.]+$')).toBe(true)
    expect(luaFind('a b', '^[%w.]+$')).toBe(false)
  })

  it('refuses what has no faithful translation instead of guessing', () => {
    expect(luaPatternToRegExp('%b()')).toBeNull()
    expect(luaPatternToRegExp('%f[%w]x')).toBeNull()
    expect(luaPatternToRegExp('(a)%1')).toBeNull()
    expect(luaPatternToRegExp('()a')).toBeNull()
    expect(luaPatternToRegExp('[%S]')).toBeNull()
    expect(luaPatternToRegExp('[abc')).toBeNull()
    expect(luaFind('x', '%b()')).toBeNull()
  })
})
