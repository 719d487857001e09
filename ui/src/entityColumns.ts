// Kong's list columns per entity kind (as Konnect and Kong Manager show them): data, not code,
// so one list component serves every kind. Which kinds are listed, in what order and under what
// names comes from the generated vocabulary.
import {
  ENTITY_KINDS,
  LISTED_KINDS,
  entityLabel,
  fuzzyMatches,
  kindName,
  type EntityKind,
  type KindInfo,
} from './vocabulary'
import { certificateOf, expiryText, memberCountOf } from './composables/useRowFacts'
import { kongDate } from './format'
import { SCOPED, scopeName } from './pluginScopes'

export { kindName }

export interface Column {
  key: string
  label: string
  /** How to read the value: a field name, or a function of the row. */
  get?: (row: Record<string, unknown>) => unknown
  /** The column's share of the table's width against the others' (1 unless said). */
  share?: number
}

export interface KindSpec {
  kind: EntityKind
  /** The plural, as the kind's tab says it. */
  label: string
  singular: string
  columns: Column[]
}

// Named as the plugin form's scope picker names them.
const appliedTo = (row: Record<string, unknown>) => {
  const scopes = SCOPED.filter((field) => row[field])
  return scopes.length ? scopes.map(scopeName).join(' + ') : scopeName('global')
}

/** When credentials were made, one column for each kind of them. */
const CREATED: Column = { key: 'created_at', label: 'Created', get: (r) => kongDate(r.created_at) }

const COLUMNS: Record<EntityKind, Column[]> = {
  services: [
    { key: 'name', label: 'Name', share: 2 },
    { key: 'protocol', label: 'Protocol' },
    { key: 'host', label: 'Host', share: 2 },
    { key: 'port', label: 'Port' },
    { key: 'path', label: 'Path' },
    { key: 'enabled', label: 'Enabled' },
    { key: 'tags', label: 'Tags' },
  ],
  routes: [
    { key: 'name', label: 'Name', share: 2 },
    { key: 'protocols', label: 'Protocols' },
    { key: 'hosts', label: 'Hosts', share: 2 },
    { key: 'methods', label: 'Methods' },
    { key: 'paths', label: 'Paths', share: 2 },
    { key: 'tags', label: 'Tags' },
  ],
  consumers: [
    { key: 'username', label: 'Username' },
    { key: 'custom_id', label: 'Custom ID' },
    { key: 'tags', label: 'Tags' },
  ],
  consumer_groups: [
    { key: 'name', label: 'Name' },
    { key: 'consumers', label: 'Consumers', get: (r) => memberCountOf(r) ?? '–' },
    { key: 'tags', label: 'Tags' },
  ],
  plugins: [
    { key: 'name', label: 'Plugin', share: 2 },
    { key: 'instance_name', label: 'Instance name', share: 2 },
    { key: 'applied_to', label: 'Applied to', get: appliedTo, share: 2 },
    { key: 'enabled', label: 'Enabled' },
    { key: 'tags', label: 'Tags' },
  ],
  upstreams: [
    { key: 'name', label: 'Name' },
    { key: 'algorithm', label: 'Algorithm' },
    { key: 'slots', label: 'Slots' },
    { key: 'tags', label: 'Tags' },
  ],
  // What the PEM says, read in Rust as the rows arrive (useRowFacts).
  certificates: [
    { key: 'subject', label: 'Subject', get: (r) => certificateSubject(r), share: 2 },
    { key: 'expiry', label: 'Expiry', get: (r) => expiryText(certificateOf(r)) },
    { key: 'san', label: 'SAN', get: (r) => certificateOf(r)?.sans ?? [], share: 2 },
    { key: 'tags', label: 'Tags' },
  ],
  snis: [
    { key: 'name', label: 'Name' },
    { key: 'certificate', label: 'SSL certificate ID', share: 2 },
  ],
  vaults: [
    { key: 'prefix', label: 'Prefix' },
    { key: 'name', label: 'Vault type' },
    { key: 'description', label: 'Description', share: 3 },
  ],
  keys: [
    { key: 'name', label: 'Name' },
    { key: 'kid', label: 'Key ID' },
    { key: 'tags', label: 'Tags' },
  ],
  'key-sets': [
    { key: 'name', label: 'Name' },
    { key: 'tags', label: 'Tags' },
  ],
  targets: [
    { key: 'target', label: 'Target', share: 2 },
    { key: 'weight', label: 'Weight' },
    { key: 'tags', label: 'Tags' },
  ],
  ca_certificates: [{ key: 'tags', label: 'Tags' }],
  // Credentials show who they belong to and when they were made, never their secret (key,
  // password, secret). Under their consumer's page the consumer's own column is left out.
  'key-auths': [
    { ...CREATED, share: 2 },
    { key: 'consumer', label: 'Consumer ID' },
    { key: 'tags', label: 'Tags' },
  ],
  'basic-auths': [
    { key: 'username', label: 'Username', share: 2 },
    { key: 'consumer', label: 'Consumer ID' },
    CREATED,
    { key: 'tags', label: 'Tags' },
  ],
  jwts: [
    { key: 'key', label: 'Key (iss)', share: 2 },
    { key: 'algorithm', label: 'Algorithm' },
    { key: 'consumer', label: 'Consumer ID' },
    CREATED,
  ],
  'hmac-auths': [
    { key: 'username', label: 'Username', share: 2 },
    { key: 'consumer', label: 'Consumer ID' },
    CREATED,
    { key: 'tags', label: 'Tags' },
  ],
  acls: [
    { key: 'group', label: 'Group', share: 2 },
    { key: 'consumer', label: 'Consumer ID' },
    CREATED,
    { key: 'tags', label: 'Tags' },
  ],
}

/** A certificate's subject as a list shows it: its common name, else the whole subject. */
function certificateSubject(row: Record<string, unknown>): string {
  const d = certificateOf(row)
  if (d === undefined) return '…'
  return d ? (d.common_name ?? d.subject) : '–'
}

const specOf = (info: KindInfo): KindSpec => ({
  kind: info.kind,
  label: info.plural,
  singular: info.singular,
  columns: COLUMNS[info.kind],
})

/** The kinds the Configuration view lists, in its order, with their columns. */
export const KINDS: KindSpec[] = LISTED_KINDS.map(specOf)

/** Any kind's columns, nested ones included (an upstream's targets, a consumer's jwts). */
export const specFor = (kind: EntityKind): KindSpec =>
  specOf(ENTITY_KINDS.find((k) => k.kind === kind)!)

/** A nested kind's columns under its parent's page: the parent's own column (a consumer's ID
 * beside each of its credentials) says nothing there. */
export const columnsUnder = (kind: EntityKind, parentField: string): Column[] =>
  specFor(kind).columns.filter((c) => c.key !== parentField)

/** A cell as text: lists joined, booleans as Yes/No, references as short ids, empty as a dash. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined || value === '') return '–'
  if (Array.isArray(value)) return value.length ? value.map((v) => cellText(v)).join(', ') : '–'
  if (typeof value === 'boolean') return value ? 'Yes' : 'No'
  if (typeof value === 'object') {
    const id = (value as { id?: unknown }).id
    return typeof id === 'string' ? id.slice(0, 8) : JSON.stringify(value)
  }
  return String(value)
}

/** The `n` longest texts by characters, longest first, in one pass (sorting 10,000 names to
 * take 40 of them cost more than measuring those 40). */
export function longestTexts(texts: string[], n: number): string[] {
  const kept: string[] = []
  for (const t of texts) {
    if (kept.length === n && t.length <= kept[n - 1].length) continue
    let i = kept.length
    while (i > 0 && kept[i - 1].length < t.length) i--
    kept.splice(i, 0, t)
    if (kept.length > n) kept.pop()
  }
  return kept
}

/**
 * Whether a row matches a filter, by the search palette's rule: every word's letters appear in
 * order in the row's name, id or one of its columns' text (`usr` finds `users-api`).
 */
export function matches(row: Record<string, unknown>, spec: KindSpec, filter: string): boolean {
  if (!filter.trim()) return true
  const texts = [
    entityLabel(spec.kind, row),
    String(row.id ?? ''),
    ...spec.columns.map((c) => cellText(c.get ? c.get(row) : row[c.key])),
  ]
  return fuzzyMatches(filter, texts)
}

export type SortOrder = { key: string; descending: boolean }

/**
 * Rows ordered by one column (numbers as numbers, the rest as the text shown, case-insensitive),
 * a copy; an empty value sorts last either way.
 */
export function sortRows(
  rows: Record<string, unknown>[],
  spec: Pick<KindSpec, 'columns'>,
  order: SortOrder | null,
): Record<string, unknown>[] {
  if (!order) return rows
  const column = spec.columns.find((c) => c.key === order.key)
  const value = (r: Record<string, unknown>) =>
    order.key === 'id' ? r.id : column?.get ? column.get(r) : r[order.key]
  const keyed = rows.map((r) => {
    const v = value(r)
    return {
      r,
      n: typeof v === 'number' ? v : null,
      t: cellText(v).toLowerCase(),
      empty: v === null || v === undefined || cellText(v) === '–',
    }
  })
  const sign = order.descending ? -1 : 1
  keyed.sort((a, b) => {
    if (a.empty !== b.empty) return a.empty ? 1 : -1
    const c =
      a.n !== null && b.n !== null
        ? a.n - b.n
        : a.t.localeCompare(b.t, undefined, { numeric: true })
    return sign * c
  })
  return keyed.map((k) => k.r)
}

/** The ID column's and the row menu's widths, in px. */
export const FIXED_COLUMNS_PX = [88, 44]
/** The least a column other than the name keeps when the name takes the room it needs. */
const MIN_COLUMN_PX = 64

/**
 * Column widths for a table `width` px wide whose first column's longest value needs `need` px:
 * the first column (an entity's name) gets that room when the others can keep a usable width,
 * and the rest is shared by the columns' `share` plus room for their labels. Without a width yet
 * (not laid out), percentages by share alone.
 */
export function columnWidths(columns: Column[], width: number, need: number): string[] {
  const weight = (c: Column) => (c.share ?? 1) + c.label.length / 6
  const fixed = FIXED_COLUMNS_PX.map((px) => `${px}px`)
  const total = columns.reduce((sum, c) => sum + weight(c), 0)
  if (!width || !columns.length) {
    return [...columns.map((c) => `${((82 * weight(c)) / total).toFixed(2)}%`), ...fixed]
  }
  const free = Math.max(0, width - FIXED_COLUMNS_PX.reduce((a, b) => a + b, 0))
  const byShare = columns.map((c) => (free * weight(c)) / total)
  const rest = columns.slice(1)
  const most = free - rest.length * MIN_COLUMN_PX
  // Its share is room enough, or the others cannot give any: widths by share alone.
  if (need <= byShare[0] || most <= byShare[0])
    return byShare.map((px) => `${Math.floor(px)}px`).concat(fixed)
  const first = Math.min(need, most)
  const restWeight = rest.reduce((sum, c) => sum + weight(c), 0)
  // Each keeps its least, and what is over is shared by weight.
  const over = Math.max(0, free - first - rest.length * MIN_COLUMN_PX)
  const others = rest.map((c) => MIN_COLUMN_PX + (over * weight(c)) / restWeight)
  return [first, ...others].map((px) => `${Math.floor(px)}px`).concat(fixed)
}
