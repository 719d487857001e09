// Kong's validators and entity checks run on a request body before it is sent, so a mistake shows
// on its field at once. They follow Kong's rules (kong/db/schema/init.lua) on what the wire
// format carries; custom validators and checks are functions Kong strips, so the API judges those.
import {
  fieldAt,
  fieldsOf,
  isNonEmpty,
  isVaultReference,
  pathLabel,
  valueAt,
  type EntityCheck,
  type FieldDef,
  type FieldList,
  type KongSchemaBody,
} from './kongSchema'
import { luaFind } from './luaPattern'

/** Dotted field path → what is wrong, said for a person. */
export type FieldErrors = Record<string, string>

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v))
const showList = (l: unknown[]) => l.map(show).join(', ')
const missing = (v: unknown) => v === null || v === undefined

function lengthOf(v: unknown): number | null {
  if (typeof v === 'string' || Array.isArray(v)) return v.length
  if (v && typeof v === 'object') return Object.keys(v).length
  return null
}

/** A failed `match*` rule's message: the schema's own `err`, else Kong's "invalid value". */
const patternError = (err: string | undefined, s: string) => err ?? `invalid value: ${s}`

/** The string validators (starts_with, match family); null when the value passes. */
function stringRules(def: FieldDef, s: string): string | null {
  const found = (p: string) => luaFind(s, p)
  if (def.starts_with !== undefined && !s.startsWith(def.starts_with))
    return `should start with: ${def.starts_with}`
  if (def.not_match && found(def.not_match) === true) return patternError(undefined, s)
  for (const rule of def.match_none ?? [])
    if (found(rule.pattern) === true) return patternError(rule.err, s)
  if (def.match && found(def.match) === false) return patternError(undefined, s)
  for (const rule of def.match_all ?? [])
    if (found(rule.pattern) === false) return patternError(rule.err, s)
  const any = def.match_any
  // A pattern that cannot be judged here counts as found: the API has the last word.
  if (any && !any.patterns.some((p) => found(p) !== false)) return patternError(any.err, s)
  return null
}

/** Kong's validators on a present value, in Kong's order; Kong's message, or null. */
export function validatorError(def: FieldDef, v: unknown): string | null {
  if ('eq' in def && def.eq === null) return 'value must be null'
  if ('eq' in def && def.eq !== null && JSON.stringify(v) !== JSON.stringify(def.eq))
    return `value must be ${show(def.eq)}`
  if ('ne' in def && def.ne !== null && JSON.stringify(v) === JSON.stringify(def.ne))
    return `value must not be ${show(def.ne)}`
  if (def.not_one_of?.includes(v)) return `must not be one of: ${showList(def.not_one_of)}`
  if (def.one_of && !def.one_of.includes(v)) return `expected one of: ${showList(def.one_of)}`
  if (typeof v === 'number') {
    if (def.gt !== undefined && !(v > def.gt)) return `value must be greater than ${def.gt}`
    const b = def.between
    if (b && (v < b[0] || v > b[1])) return `value should be between ${b[0]} and ${b[1]}`
  }
  if (def.uuid && typeof v === 'string' && !/^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i.test(v))
    return 'expected a valid UUID'
  const len = lengthOf(v)
  if (len !== null && typeof def.type === 'string' && def.type !== 'record') {
    // A string without len_min must still not be empty (Kong's implicit len_min = 1).
    const min = def.len_min ?? (def.type === 'string' ? 1 : undefined)
    if (def.len_eq !== undefined && len !== def.len_eq) return `length must be ${def.len_eq}`
    if (min !== undefined && len < min) return `length must be at least ${min}`
    if (def.len_max !== undefined && len > def.len_max)
      return `length must be at most ${def.len_max}`
  }
  if (typeof v === 'string') {
    const err = stringRules(def, v)
    if (err) return err
  }
  if (def.contains !== undefined && Array.isArray(v) && !v.includes(def.contains))
    return `expected to contain: ${show(def.contains)}`
  if (def.mutually_exclusive_subsets && Array.isArray(v)) {
    const subsets = def.mutually_exclusive_subsets
    if (
      !subsets.some((set) => v.every((x) => set.includes(x))) &&
      v.some((x) => subsets.some((s) => s.includes(x)))
    )
      return `these sets are mutually exclusive: ${subsets.map((s) => `(${showList(s)})`).join(', ')}`
  }
  return null
}

/** The type check: Kong's "expected a …", or null. */
function typeError(def: FieldDef, v: unknown): string | null {
  switch (def.type) {
    case 'string':
      return typeof v === 'string' ? null : 'expected a string'
    case 'boolean':
      return typeof v === 'boolean' ? null : 'expected a boolean'
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? null : 'expected a number'
    case 'integer':
      return Number.isInteger(v) ? null : 'expected an integer'
    case 'array':
    case 'set':
      return Array.isArray(v) ? null : `expected a ${def.type}`
    case 'map':
    case 'record':
      return v && typeof v === 'object' && !Array.isArray(v) ? null : `expected a ${def.type}`
    default:
      return null
  }
}

/** What Kong says of a missing value: required, or an `eq`/`ne` that null breaks. */
function missingError(def: FieldDef): string | null {
  if ('ne' in def && def.ne === null) return 'value must not be null'
  if ('eq' in def && def.eq !== null && def.eq !== undefined) return `value must be ${show(def.eq)}`
  // A default fills a missing required field, as Kong does on insert.
  return def.required && def.default === undefined && def.type !== 'record'
    ? 'required field missing'
    : null
}

/** What is wrong with a list item or map value, said relative to the list (`host: required…`). */
function partError(def: FieldDef, v: unknown, path: string): string | null {
  const found: FieldErrors = {}
  checkField(def, v, path, found)
  const [at, msg] = Object.entries(found)[0] ?? []
  if (!at) return null
  return at === path ? msg : `${at.slice(path.length + 1)}: ${msg}`
}

/** Checks one value against its definition; errors under `path`, parts under theirs. */
export function checkField(def: FieldDef, v: unknown, path: string, errors: FieldErrors): void {
  if (missing(v)) {
    const err = missingError(def)
    if (err) errors[path] = err
    // A required record is built from its nested defaults: its own required fields still count.
    else if (def.type === 'record' && def.required) checkRecord(def.fields, {}, path, errors)
    return
  }
  if (def.referenceable && isVaultReference(v)) return
  const typed = typeError(def, v)
  if (typed) {
    errors[path] = typed
    return
  }
  const before = Object.keys(errors).length
  if ((def.type === 'array' || def.type === 'set') && def.elements) {
    const el = { ...def.elements, required: true }
    ;(v as unknown[]).forEach((item, i) => {
      // Items are numbered from 1, as Kong's error tables are.
      const said = partError(el, item, path)
      if (said && !errors[path]) errors[path] = `item ${i + 1} (${show(item)}): ${said}`
    })
  } else if (def.type === 'map' && def.values) {
    for (const [k, item] of Object.entries(v as object)) {
      const said = (def.keys && partError(def.keys, k, path)) || partError(def.values, item, path)
      if (said && !errors[path]) errors[path] = `${k}: ${said}`
    }
  } else if (def.type === 'record') {
    checkRecord(def.fields, v as Record<string, unknown>, path, errors)
    // A record's own entity checks name its fields relative to it.
    if (Object.keys(errors).length === before && def.entity_checks) {
      const own = checkEntityChecks(
        { fields: def.fields ?? [], entity_checks: def.entity_checks },
        v as Record<string, unknown>,
      )
      for (const [p, msg] of Object.entries(own)) errors[`${path}.${p}`] = msg
    }
  }
  // As Kong, a value whose parts failed is not judged as a whole.
  if (Object.keys(errors).length !== before) return
  const err = validatorError(def, v)
  if (err) errors[path] = err
}

function checkRecord(
  fields: FieldList | undefined,
  record: Record<string, unknown>,
  prefix: string,
  errors: FieldErrors,
) {
  for (const [name, def] of fieldsOf(fields)) {
    const path = prefix ? `${prefix}.${name}` : name
    checkField(def, record[name], path, errors)
  }
}

/** Whether a value passes a check's inline validators (Kong's `validate_field` on a merged def). */
function passes(schema: KongSchemaBody, field: string, rules: object, v: unknown): boolean {
  const def = { ...(fieldAt(schema, field) ?? { type: 'any' }), ...rules } as FieldDef
  if (missing(v)) return missingError(def) === null
  return typeError(def, v) === null && validatorError(def, v) === null
}

type Check = (schema: KongSchemaBody, body: Record<string, unknown>, arg: never) => FieldErrors

const labels = (paths: string[]) => paths.map(pathLabel).join(', ')
/** Puts a check's message on the first of its fields: that is where the eye goes. */
const onFirst = (paths: string[], message: string): FieldErrors =>
  paths.length ? { [paths[0]]: message } : {}

const nonEmpty = (body: Record<string, unknown>, paths: string[]) =>
  paths.filter((p) => isNonEmpty(valueAt(body, p)))

/** Kong's entity checkers (`Schema.entity_checkers`), each giving errors by field path. */
const CHECKS: Record<string, Check> = {
  at_least_one_of: (_s, body, paths: string[]) =>
    nonEmpty(body, paths).length ? {} : onFirst(paths, `Set at least one of: ${labels(paths)}.`),
  only_one_of: (_s, body, paths: string[]) =>
    nonEmpty(body, paths).length === 1
      ? {}
      : onFirst(paths, `Set exactly one of: ${labels(paths)}.`),
  mutually_required: (_s, body, paths: string[]) => {
    const set = nonEmpty(body, paths)
    const unset = paths.filter((p) => !set.includes(p))
    return set.length && unset.length ? onFirst(unset, `Set all or none of: ${labels(paths)}.`) : {}
  },
  mutually_exclusive: (_s, body, paths: string[]) => {
    const set = nonEmpty(body, paths)
    return set.length > 1 ? onFirst(set, `Set only one or none of: ${labels(paths)}.`) : {}
  },
  mutually_exclusive_sets: (_s, body, arg: { set1: string[]; set2: string[] }) =>
    nonEmpty(body, arg.set1).length && nonEmpty(body, arg.set2).length
      ? onFirst(arg.set2, `${labels(arg.set1)} and ${labels(arg.set2)} cannot both be set.`)
      : {},
  distinct: (_s, body, paths: string[]) => {
    const values = nonEmpty(body, paths).map((p) => JSON.stringify(valueAt(body, p)))
    return new Set(values).size < values.length
      ? onFirst(paths, `${labels(paths)} must differ.`)
      : {}
  },
  conditional: (s, body, arg: ConditionalArg) => {
    if (!passes(s, arg.if_field, arg.if_match, valueAt(body, arg.if_field))) return {}
    const then = valueAt(body, arg.then_field)
    const { required, ...rules } = arg.then_match
    const when = `when ${pathLabel(arg.if_field)} is ${show(valueAt(body, arg.if_field))}`
    if (required && !isNonEmpty(then))
      return {
        [arg.then_field]: arg.then_err ?? `${pathLabel(arg.then_field)} is required ${when}.`,
      }
    if (!passes(s, arg.then_field, rules, then))
      return {
        [arg.then_field]: arg.then_err ?? `${failure(s, arg.then_field, rules, then)} ${when}`,
      }
    return {}
  },
  conditional_at_least_one_of: (s, body, arg: ConditionalAtLeastArg) => {
    const ifValue = valueAt(body, arg.if_field)
    let paths = arg.then_at_least_one_of
    let err = arg.then_err
    if (!passes(s, arg.if_field, arg.if_match, ifValue)) {
      if (!arg.else_match || !passes(s, arg.if_field, arg.else_match, ifValue)) return {}
      paths = arg.else_then_at_least_one_of ?? []
      err = arg.else_then_err
    }
    return nonEmpty(body, paths).length
      ? {}
      : onFirst(paths, err ?? `Set at least one of: ${labels(paths)}.`)
  },
}

interface ConditionalArg {
  if_field: string
  if_match: object
  then_field: string
  then_match: { required?: boolean } & Record<string, unknown>
  then_err?: string
}
interface ConditionalAtLeastArg {
  if_field: string
  if_match: object
  then_at_least_one_of: string[]
  then_err?: string
  else_match?: object
  else_then_at_least_one_of?: string[]
  else_then_err?: string
}

function failure(s: KongSchemaBody, field: string, rules: object, v: unknown): string {
  const def = { ...(fieldAt(s, field) ?? { type: 'any' }), ...rules } as FieldDef
  return missing(v) ? (missingError(def) ?? '') : (validatorError(def, v) ?? '')
}

/** Runs the schema's entity checks; `custom_entity_check` is a function only the API runs. */
export function checkEntityChecks(
  schema: KongSchemaBody,
  body: Record<string, unknown>,
): FieldErrors {
  const errors: FieldErrors = {}
  for (const check of schema.entity_checks ?? ([] as EntityCheck[])) {
    const [name, arg] = Object.entries(check)[0] ?? []
    const run = name ? CHECKS[name] : undefined
    if (!run) continue
    for (const [path, msg] of Object.entries(run(schema, body, arg as never))) errors[path] ??= msg
  }
  return errors
}

/**
 * Every client-side check of a body against its schema: the fields' validators, then (when those
 * pass, as in Kong) the entity checks. Messages are Kong's; the form says them on the field.
 */
export function checkBody(schema: KongSchemaBody, body: Record<string, unknown>): FieldErrors {
  const errors: FieldErrors = {}
  checkRecord(schema.fields, body, '', errors)
  if (Object.keys(errors).length) return errors
  return checkEntityChecks(schema, body)
}
