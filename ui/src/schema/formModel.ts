// A Kong schema as a form: which control each field gets, the values the controls hold (flat, by
// dotted path) and the request body they make. One mapping for every entity kind and plugin.
import { fieldLabel, fieldsOf, isVaultReference, type FieldDef, type FieldList } from './kongSchema'

export type Control =
  | 'text'
  | 'textarea'
  | 'number'
  | 'boolean'
  | 'select'
  | 'tags'
  | 'multiselect'
  | 'map'
  | 'record'
  | 'records'
  | 'foreign'
  | 'json'

export interface FormNode {
  /** Dotted path from the body's root (`config.redis.host`): the field's identity everywhere. */
  path: string
  name: string
  label: string
  control: Control
  def: FieldDef
  required: boolean
  /** A non-required sub-record: folded under "Advanced". */
  advanced: boolean
  /** The choices of a select or multi-select. */
  options?: string[]
  /** Number bounds, from `between` / `gt`. */
  min?: number
  max?: number
  integer?: boolean
  children?: FormNode[]
}

/** A form value: text as typed, a checkbox, a list of tags, a map's rows, or the values of each
 * record in a list of records. */
export type FormValue = string | boolean | string[] | MapRow[] | FormValues[]
export interface MapRow {
  key: string
  value: string
}
export type FormValues = Record<string, FormValue>

/** Fields the server owns: never shown, never sent. */
const SERVER_OWNED = new Set(['id', 'created_at', 'updated_at'])

function isServerOwned(name: string, def: FieldDef): boolean {
  // Generated ids and timestamps; other `auto` fields (a key-auth key) may be given or generated.
  return SERVER_OWNED.has(name) || (!!def.auto && (!!def.uuid || !!def.timestamp))
}

const isStringy = (d?: FieldDef) =>
  d?.type === 'string' || d?.type === 'integer' || d?.type === 'number'
const isTextList = (d?: FieldDef) =>
  (d?.type === 'array' || d?.type === 'set') && isStringy(d.elements) && !d.elements?.one_of

const PEM_PAIR = new Set(['cert', 'key', 'cert_alt', 'key_alt'])

/** The control a field gets (Kong's type → input, as Konnect's free-form renderer maps them). */
export function controlOf(name: string, def: FieldDef): Control {
  switch (def.type) {
    case 'string':
      if (def.one_of) return 'select'
      return def.pem || /(^|_)(jwk|private_key|public_key)$/.test(name) ? 'textarea' : 'text'
    case 'integer':
    case 'number':
      return def.one_of ? 'select' : 'number'
    case 'boolean':
      return 'boolean'
    case 'foreign':
      return 'foreign'
    case 'record':
      return 'record'
    case 'array':
    case 'set':
      if (isStringy(def.elements) && def.elements?.one_of) return 'multiselect'
      if (def.elements?.type === 'record') return 'records'
      return isStringy(def.elements) ? 'tags' : 'json'
    case 'map':
      return def.keys?.type === 'string' && (isStringy(def.values) || isTextList(def.values))
        ? 'map'
        : 'json'
    default:
      return 'json'
  }
}

function bounds(def: FieldDef): Pick<FormNode, 'min' | 'max'> {
  if (def.between) return { min: def.between[0], max: def.between[1] }
  return def.gt !== undefined ? { min: def.gt } : {}
}

/** The form's fields for a schema's field list, under `prefix`; server-owned and deprecated
 * fields left out (Kong keeps deprecated ones only as aliases of their replacements). */
export function formTree(
  fields: FieldList | undefined,
  prefix = '',
  omit: string[] = [],
): FormNode[] {
  const nodes: FormNode[] = []
  // A certificate's PEMs (Kong's certificate/key typedefs, which the served schema does not
  // mark): multi-line text wherever a `cert` sits beside them.
  const pems = fieldsOf(fields).some(([n]) => n === 'cert') ? PEM_PAIR : new Set<string>()
  for (const [name, def] of fieldsOf(fields)) {
    const path = prefix ? `${prefix}.${name}` : name
    if (isServerOwned(name, def) || def.deprecation || omit.includes(path)) continue
    // A field that must be null (a plugin's `consumer` with `eq: null`) is not for the user.
    if ('eq' in def && def.eq === null) continue
    const control = pems.has(name) && def.type === 'string' ? 'textarea' : controlOf(name, def)
    const node: FormNode = {
      path,
      name,
      label: fieldLabel(name),
      control,
      def,
      required: !!def.required,
      advanced: control === 'record' && !def.required,
      ...bounds(def),
    }
    if (def.type === 'integer') node.integer = true
    if (control === 'select') node.options = (def.one_of ?? []).map(String)
    if (control === 'multiselect') node.options = (def.elements?.one_of ?? []).map(String)
    if (control === 'record') node.children = formTree(def.fields, path)
    nodes.push(node)
  }
  return nodes
}

/** The fields of item `i` of a list of records, under `path[i]`. */
export const itemNodes = (node: FormNode, i: number) =>
  formTree(node.def.elements?.fields, `${node.path}[${i}]`)

/** Every node, depth first, records included. */
export function walk(nodes: FormNode[]): FormNode[] {
  return nodes.flatMap((n) => [n, ...walk(n.children ?? [])])
}

/** A stored value as the control holds it. */
function toFormValue(node: FormNode, v: unknown): FormValue {
  const none = v === undefined || v === null
  switch (node.control) {
    case 'boolean':
      return v === true
    case 'tags':
    case 'multiselect':
      return Array.isArray(v) ? v.map(String) : []
    case 'map':
      return none
        ? []
        : Object.entries(v as object).map(([key, value]) => ({
            key,
            value: Array.isArray(value) ? value.join(', ') : String(value),
          }))
    case 'foreign':
      return none ? '' : String((v as { id?: unknown }).id ?? '')
    case 'records':
      return Array.isArray(v)
        ? v.map((item, i) => initialValues(itemNodes(node, i), item as Record<string, unknown>))
        : []
    case 'json':
      return none ? '' : JSON.stringify(v, null, 2)
    default:
      return none ? '' : String(v)
  }
}

/**
 * The controls' starting values: the entity's for an edit; for a create, Kong's defaults, so
 * what will be saved is what is seen.
 */
export function initialValues(
  nodes: FormNode[],
  entity: Record<string, unknown> | null,
): FormValues {
  const out: FormValues = {}
  // On a create, a record's own default (opentelemetry's `propagation`) beats its fields'.
  const fill = (list: FormNode[], source: Record<string, unknown> | null | undefined) => {
    for (const n of list) {
      const v = entity ? source?.[n.name] : (source?.[n.name] ?? n.def.default)
      if (n.control === 'record') {
        const inner = v && typeof v === 'object' ? (v as Record<string, unknown>) : null
        fill(n.children ?? [], inner)
      } else out[n.path] = toFormValue(n, v)
    }
  }
  fill(nodes, entity)
  return out
}

/** What a control holds, as the body's value; `undefined` means "not typed". */
function fromFormValue(
  node: FormNode,
  v: FormValue | undefined,
): { value?: unknown; error?: string } {
  switch (node.control) {
    case 'boolean':
      return { value: v === true }
    case 'tags':
    case 'multiselect': {
      const list = Array.isArray(v) ? (v as string[]) : []
      const numeric = node.def.elements?.type === 'integer' || node.def.elements?.type === 'number'
      return { value: numeric ? list.map(Number) : list }
    }
    case 'records': {
      const items = Array.isArray(v) ? (v as FormValues[]) : []
      const built = items.map((item, i) => toBody(itemNodes(node, i), item, null))
      const error = built.map((b) => Object.values(b.errors)[0]).find(Boolean)
      return error ? { error } : { value: built.map((b) => b.body) }
    }
    case 'map': {
      const rows = ((v as MapRow[]) ?? []).filter((r) => r.key.trim())
      if (!rows.length) return {}
      const listValues = node.def.values?.type === 'array' || node.def.values?.type === 'set'
      const split = (s: string) =>
        s
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
      return {
        value: Object.fromEntries(
          rows.map((r) => [r.key.trim(), listValues ? split(r.value) : r.value]),
        ),
      }
    }
    default:
      break
  }
  const text = typeof v === 'string' ? v.trim() : ''
  if (!text) return {}
  // A PEM ends with its END line and a newline, as OpenSSL writes it (parsers require it).
  if (node.control === 'textarea' && /-----END [A-Z ]+-----$/.test(text))
    return { value: `${text}\n` }
  switch (node.control) {
    case 'number': {
      if (node.def.referenceable && isVaultReference(text)) return { value: text }
      const n = Number(text)
      if (!Number.isFinite(n)) return { error: 'expected a number' }
      if (node.integer && !Number.isInteger(n)) return { error: 'expected an integer' }
      return { value: n }
    }
    case 'select':
      return { value: node.def.type === 'string' ? text : Number(text) }
    case 'foreign':
      return { value: { id: text } }
    case 'json':
      try {
        return { value: JSON.parse(text) }
      } catch {
        return { error: 'not valid JSON' }
      }
    default:
      return { value: text }
  }
}

const isEmptyValue = (v: unknown) =>
  v === undefined || (Array.isArray(v) && !v.length) || v === false

/**
 * The request body the controls make, with what cannot even be read (a number that is not one,
 * broken JSON) as errors by path. A blank field is left out so Kong's default applies; on an
 * edit a field the entity had is sent as null (or empty) so clearing it clears it.
 */
export function toBody(
  nodes: FormNode[],
  values: FormValues,
  entity: Record<string, unknown> | null,
): { body: Record<string, unknown>; errors: Record<string, string> } {
  const errors: Record<string, string> = {}
  const build = (list: FormNode[], before: Record<string, unknown> | null | undefined) => {
    const out: Record<string, unknown> = {}
    for (const n of list) {
      const had = before?.[n.name]
      if (n.control === 'record') {
        const inner = build(n.children ?? [], had as Record<string, unknown> | null)
        if (Object.keys(inner).length || (had !== undefined && had !== null)) out[n.name] = inner
        continue
      }
      const { value, error } = fromFormValue(n, values[n.path])
      if (error) errors[n.path] = error
      const hadValue = had !== undefined && had !== null
      if (value === undefined) {
        if (hadValue && !n.required) out[n.name] = null
        continue
      }
      // Unchecked optional booleans and empty lists without a default: nothing was said.
      const saidSomething =
        !isEmptyValue(value) ||
        n.required ||
        hadValue ||
        (n.def.default !== undefined && n.def.default !== null)
      if (saidSomething) out[n.name] = value
    }
    return out
  }
  return { body: build(nodes, entity), errors }
}

/** The dotted paths the form shows, for putting API errors on their fields. */
export const knownPaths = (nodes: FormNode[]) => new Set(walk(nodes).map((n) => n.path))
