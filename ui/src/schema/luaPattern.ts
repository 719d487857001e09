// Kong's `match*` validators are Lua patterns, not regular expressions: this translates one into a
// JavaScript RegExp so the form can check what Kong checks, and refuses (null) what has no
// faithful translation (%b, %f, back-references, position captures), leaving those to the API.

/** Lua's character classes (`%a`, `%d`, …) as the inside of a JS character set. */
const CLASSES: Record<string, string> = {
  a: 'A-Za-z',
  c: '\\x00-\\x1f\\x7f',
  d: '0-9',
  g: '\\x21-\\x7e',
  l: 'a-z',
  p: '!-\\/:-@\\[-`{-~',
  s: ' \\t\\n\\r\\f\\v',
  u: 'A-Z',
  w: 'A-Za-z0-9',
  x: '0-9A-Fa-f',
}

/** A character escaped for use outside a JS character set. */
const literal = (c: string) => (/[\\^$.|?*+()[\]{}/-]/.test(c) ? `\\${c}` : c)
/** A character escaped for use inside a JS character set. */
const inSet = (c: string) => (/[\\\]^[-]/.test(c) ? `\\${c}` : c)

class Untranslatable extends Error {}

/** `%x` at `p[i]` (the letter after `%`) as a JS item; `set` says whether it sits in `[...]`. */
function percent(letter: string, set: boolean): string {
  if (letter === undefined) throw new Untranslatable('pattern ends with %')
  const lower = letter.toLowerCase()
  const cls = CLASSES[lower]
  if (cls) {
    const negated = letter !== lower
    // A negated class inside a set has no JS spelling with ranges alone.
    if (set && negated) throw new Untranslatable(`%${letter} inside a set`)
    if (set) return cls
    return negated ? `[^${cls}]` : `[${cls}]`
  }
  // %b, %f and back-references %1-%9 match what a regex cannot say the same way.
  if (/[A-Za-z0-9]/.test(letter)) throw new Untranslatable(`%${letter}`)
  return set ? inSet(letter) : literal(letter)
}

/** The set starting at `p[start]` (`[`); returns its JS form and the index after `]`. */
function charSet(p: string, start: number): [string, number] {
  let i = start + 1
  let out = '['
  if (p[i] === '^') {
    out += '^'
    i++
  }
  // A `]` first in the set is a plain character, as in Lua.
  let first = true
  while (i < p.length && (p[i] !== ']' || first)) {
    first = false
    const c = p[i]
    if (c === '%') {
      out += percent(p[i + 1], true)
      i += 2
    } else if (p[i + 1] === '-' && p[i + 2] !== undefined && p[i + 2] !== ']') {
      out += `${inSet(c)}-${inSet(p[i + 2])}`
      i += 3
    } else {
      out += inSet(c)
      i++
    }
  }
  if (i >= p.length) throw new Untranslatable('unclosed set')
  return [out + ']', i + 1]
}

/** The Lua pattern `p` as the source of an equivalent JS RegExp; throws when it has none. */
function translate(p: string): string {
  let out = ''
  let i = 0
  if (p.startsWith('^')) {
    out = '^'
    i = 1
  }
  while (i < p.length) {
    const c = p[i]
    let item: string
    if (c === '$' && i === p.length - 1) {
      out += '$'
      break
    } else if (c === '%') {
      item = percent(p[i + 1], false)
      i += 2
    } else if (c === '[') {
      ;[item, i] = charSet(p, i)
    } else if (c === '(' || c === ')') {
      if (c === '(' && p[i + 1] === ')') throw new Untranslatable('position capture')
      out += c
      i++
      continue
    } else if (c === '.') {
      item = '[\\s\\S]'
      i++
    } else {
      item = literal(c)
      i++
    }
    // A single-character item may be followed by one quantifier; Lua's `-` is the lazy `*`.
    const q = p[i]
    if (q === '*' || q === '+' || q === '?') {
      item += q
      i++
    } else if (q === '-') {
      item += '*?'
      i++
    }
    out += item
  }
  return out
}

/** The RegExp Kong's Lua pattern stands for, or null when it cannot be translated faithfully. */
export function luaPatternToRegExp(pattern: string): RegExp | null {
  try {
    return new RegExp(translate(pattern))
  } catch {
    return null
  }
}

/** Whether `pattern` is found in `s` (Lua's `string.find`); null when it cannot be judged here. */
export function luaFind(s: string, pattern: string): boolean | null {
  const re = luaPatternToRegExp(pattern)
  return re ? re.test(s) : null
}
