// Kong's schema wire format (`GET /schemas/…`): fields as an ordered list of one-key objects,
// their validators, and entity checks naming fields by dotted path. Types and small readers only.
import { capitalized } from '../format'

/** One field's definition, as Kong serves it (functions and foreign sub-schemas stripped). */
export interface FieldDef {
  type: string
  required?: boolean
  default?: unknown
  description?: string
  auto?: boolean
  uuid?: boolean
  timestamp?: boolean
  referenceable?: boolean
  encrypted?: boolean
  deprecation?: unknown
  /** For `foreign`: the kind referred to (`services`). */
  reference?: string
  elements?: FieldDef
  keys?: FieldDef
  values?: FieldDef
  fields?: FieldList
  /** A record's own entity checks, naming its fields relative to it. */
  entity_checks?: EntityCheck[]
  eq?: unknown
  ne?: unknown
  one_of?: unknown[]
  not_one_of?: unknown[]
  gt?: number
  between?: [number, number]
  len_eq?: number
  len_min?: number
  len_max?: number
  starts_with?: string
  match?: string
  not_match?: string
  match_all?: { pattern: string; err?: string }[]
  match_none?: { pattern: string; err?: string }[]
  match_any?: { patterns: string[]; err?: string }
  contains?: unknown
  mutually_exclusive_subsets?: unknown[][]
  /** The local control plane's marker on a PEM field (`CERTIFICATE`, `PRIVATE KEY`, …). */
  pem?: string
  [other: string]: unknown
}

export type FieldList = Record<string, FieldDef>[]

/** An entity check: one key (`at_least_one_of`, `conditional`, …) and its argument. */
export type EntityCheck = Record<string, unknown>

export interface KongSchemaBody {
  fields: FieldList
  entity_checks?: EntityCheck[]
}

/** A schema's fields in order, as `[name, definition]` pairs. */
export function fieldsOf(list: FieldList | undefined): [string, FieldDef][] {
  return (list ?? []).flatMap((one) => Object.entries(one))
}

/** The definition at a dotted path (`config.redis.host`), through records. */
export function fieldAt(schema: KongSchemaBody, path: string): FieldDef | undefined {
  let list: FieldList | undefined = schema.fields
  let found: FieldDef | undefined
  for (const part of path.split('.')) {
    found = fieldsOf(list).find(([name]) => name === part)?.[1]
    if (!found) return undefined
    list = found.fields
  }
  return found
}

/** Reads a schema as served, whatever came over the bridge. */
export function asSchema(raw: unknown): KongSchemaBody {
  const s = (raw ?? {}) as Partial<KongSchemaBody>
  return {
    fields: Array.isArray(s.fields) ? s.fields : [],
    entity_checks: Array.isArray(s.entity_checks) ? s.entity_checks : [],
  }
}

/** Abbreviations spelled in capitals in labels, as Konnect writes them. */
const CAPITALS = new Set([
  'id', 'url', 'uri', 'ssl', 'tls', 'http', 'https', 'sni', 'jwt', 'jwk', 'ttl', 'ip', 'dns',
  'pem', 'ca', 'api', 'aws', 'gcp', 'llm', 'ai', 'acl', 'cors', 'grpc', 'hmac', 'oidc', 'sts',
  'tcp', 'udp', 'json', 'srv', 'kid', 'iam', 'uuid', 'sdk', 'dp', 'cp', 'san',
]) // prettier-ignore

/** One word of a label: an abbreviation in capitals, its plural with a small s ("SNIs"). */
function spelled(word: string): string {
  const w = word.toLowerCase()
  if (CAPITALS.has(w)) return w.toUpperCase()
  if (w.endsWith('s') && CAPITALS.has(w.slice(0, -1))) return `${w.slice(0, -1).toUpperCase()}s`
  return word
}

/** A field name as a label: `connect_timeout` → "Connect timeout", `ssl_verify` → "SSL verify",
 * `tls_sans` → "TLS SANs". */
export function fieldLabel(name: string): string {
  return capitalized(name.split(/[_-]/).filter(Boolean).map(spelled).join(' '))
}

/** The label of the field at a dotted path: its last part's. */
export const pathLabel = (path: string) => fieldLabel(path.split('.').pop() ?? path)

/** Whether a value is a vault reference, which a `referenceable` field takes in place of a secret. */
export const isVaultReference = (v: unknown) =>
  typeof v === 'string' && v.startsWith('{vault://') && v.endsWith('}')

/** Kong's "non-empty": not null, not "", not an empty array or object. */
export function isNonEmpty(v: unknown): boolean {
  if (v === null || v === undefined || v === '') return false
  if (Array.isArray(v)) return v.length > 0
  if (typeof v === 'object') return Object.keys(v as object).length > 0
  return true
}

/** The value at a dotted path of a body. */
export function valueAt(body: Record<string, unknown>, path: string): unknown {
  let v: unknown = body
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined
    v = (v as Record<string, unknown>)[part]
  }
  return v
}
