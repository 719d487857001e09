// Errors on their fields: Kong's messages said for a person with the field's label, and the
// API's errors (keyed by dotted path, list items by index) put on the field the form shows.
import type { ConsoleError } from '../bindings/ConsoleError'

const SENTENCES: [RegExp, (label: string, m: RegExpMatchArray) => string][] = [
  [/^required field missing$/, (l) => `${l} is required.`],
  [
    /^value should be between (\S+) and (\S+)$/,
    (l, m) => `${l} must be between ${m[1]} and ${m[2]}.`,
  ],
  [/^value must be greater than (\S+)$/, (l, m) => `${l} must be greater than ${m[1]}.`],
  [/^expected a number$/, (l) => `${l} must be a number.`],
  [/^expected an integer$/, (l) => `${l} must be a whole number.`],
  [/^expected one of: (.*)$/, (l, m) => `${l} must be one of: ${m[1]}.`],
  [
    /^length must be at least (\d+)$/,
    (l, m) => `${l} must have at least ${m[1]} characters or items.`,
  ],
  [/^should start with: (.*)$/, (l, m) => `${l} must start with ${m[1]}`],
]

/** Kong's message about a field as a sentence naming it ("Port must be between 0 and 65535.");
 * a message it has no sentence for is said as Kong says it. */
export function sayError(label: string, message: string): string {
  for (const [re, say] of SENTENCES) {
    const m = message.match(re)
    if (m) return say(label, m)
  }
  return message
}

/** An error path without list indices: `config.origins[2]` is about `config.origins`. */
const withoutIndex = (path: string) => path.replace(/\[\d+\]/g, '')

/** The longest shown path that is `path` or holds it (`headers` holds `headers.x-version`). */
function owner(path: string, known: Set<string>): string | null {
  const parts = path.split('.')
  for (let n = parts.length; n > 0; n--) {
    const p = parts.slice(0, n).join('.')
    if (known.has(p)) return p
  }
  return null
}

/**
 * An API error split between the form's fields and the rest, said above the form. A nested
 * error (`config.redis.host`) lands on its own field when the form shows it, else on the nearest
 * field holding it, said with its path.
 */
export function splitFieldErrors(
  err: ConsoleError,
  known: Set<string>,
): { fields: Record<string, string>; form: string } {
  const fields: Record<string, string> = {}
  const other: string[] = []
  for (const [k, reason] of Object.entries(err.fields ?? {})) {
    const v = String(reason)
    const at = owner(withoutIndex(k), known)
    if (at) {
      const said = at === k ? v : `${k}: ${v}`
      fields[at] = fields[at] ? `${fields[at]}; ${said}` : said
    } else other.push(`${k}: ${v}`)
  }
  const form = Object.keys(fields).length && !other.length ? '' : [err.message, ...other].join(' ')
  return { fields, form }
}
