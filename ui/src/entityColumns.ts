// Kong's list columns per entity kind (as Konnect and Kong Manager show them): data, not code,
// so one list component serves every kind.

export interface Column {
  key: string
  label: string
  /** How to read the value: a field name, or a function of the row. */
  get?: (row: Record<string, unknown>) => unknown
  /** The column's share of the table's width against the others' (1 unless said). */
  share?: number
}

export interface KindSpec {
  kind: string
  label: string
  singular: string
  columns: Column[]
}

const appliedTo = (row: Record<string, unknown>) => {
  const scopes = ['service', 'route', 'consumer', 'consumer_group'].filter((k) => row[k])
  return scopes.length ? scopes.map((s) => s.replace('_', ' ')).join(' + ') : 'Global'
}

export const KINDS: KindSpec[] = [
  {
    kind: 'services',
    label: 'Gateway services',
    singular: 'gateway service',
    columns: [
      { key: 'name', label: 'Name', share: 2 },
      { key: 'protocol', label: 'Protocol' },
      { key: 'host', label: 'Host', share: 2 },
      { key: 'port', label: 'Port' },
      { key: 'path', label: 'Path' },
      { key: 'enabled', label: 'Enabled' },
      { key: 'tags', label: 'Tags' },
    ],
  },
  {
    kind: 'routes',
    label: 'Routes',
    singular: 'route',
    columns: [
      { key: 'name', label: 'Name', share: 2 },
      { key: 'protocols', label: 'Protocols' },
      { key: 'hosts', label: 'Hosts', share: 2 },
      { key: 'methods', label: 'Methods' },
      { key: 'paths', label: 'Paths', share: 2 },
      { key: 'tags', label: 'Tags' },
    ],
  },
  {
    kind: 'consumers',
    label: 'Consumers',
    singular: 'consumer',
    columns: [
      { key: 'username', label: 'Username' },
      { key: 'custom_id', label: 'Custom ID' },
      { key: 'tags', label: 'Tags' },
    ],
  },
  {
    kind: 'consumer_groups',
    label: 'Consumer groups',
    singular: 'consumer group',
    columns: [
      { key: 'name', label: 'Name' },
      { key: 'tags', label: 'Tags' },
    ],
  },
  {
    kind: 'plugins',
    label: 'Plugins',
    singular: 'plugin',
    columns: [
      { key: 'name', label: 'Plugin', share: 2 },
      { key: 'instance_name', label: 'Instance name', share: 2 },
      { key: 'applied_to', label: 'Applied to', get: appliedTo, share: 2 },
      { key: 'enabled', label: 'Enabled' },
      { key: 'tags', label: 'Tags' },
    ],
  },
  {
    kind: 'upstreams',
    label: 'Upstreams',
    singular: 'upstream',
    columns: [
      { key: 'name', label: 'Name' },
      { key: 'algorithm', label: 'Algorithm' },
      { key: 'slots', label: 'Slots' },
      { key: 'tags', label: 'Tags' },
    ],
  },
  {
    kind: 'certificates',
    label: 'Certificates',
    singular: 'certificate',
    columns: [{ key: 'tags', label: 'Tags' }],
  },
  {
    kind: 'snis',
    label: 'SNIs',
    singular: 'SNI',
    columns: [
      { key: 'name', label: 'Name' },
      { key: 'certificate', label: 'SSL certificate ID', share: 2 },
    ],
  },
  {
    kind: 'vaults',
    label: 'Vaults',
    singular: 'vault',
    columns: [
      { key: 'prefix', label: 'Prefix' },
      { key: 'name', label: 'Vault type' },
      { key: 'description', label: 'Description', share: 3 },
    ],
  },
  {
    kind: 'keys',
    label: 'Keys',
    singular: 'key',
    columns: [
      { key: 'name', label: 'Name' },
      { key: 'kid', label: 'Key ID' },
      { key: 'tags', label: 'Tags' },
    ],
  },
  {
    kind: 'key-sets',
    label: 'Key sets',
    singular: 'key set',
    columns: [
      { key: 'name', label: 'Name' },
      { key: 'tags', label: 'Tags' },
    ],
  },
]

/** A kind's singular name for any kind the console syncs, listed or not. */
export function kindName(kind: string): string {
  const extra: Record<string, string> = {
    'key-auths': 'key-auth credential',
    targets: 'target',
    ca_certificates: 'CA certificate',
    group: 'runtime group',
  }
  return KINDS.find((k) => k.kind === kind)?.singular ?? extra[kind] ?? kind
}

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

/** Whether a row matches a filter: any column's text, the id or a tag contains every word. */
export function matches(row: Record<string, unknown>, spec: KindSpec, filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean)
  if (!words.length) return true
  const hay = [
    String(row.id ?? ''),
    ...spec.columns.map((c) => cellText(c.get ? c.get(row) : row[c.key])),
  ]
    .join(' ')
    .toLowerCase()
  return words.every((w) => hay.includes(w))
}

export type SortOrder = { key: string; descending: boolean }

/**
 * Rows ordered by one column (numbers as numbers, the rest as the text shown, case-insensitive),
 * a copy; an empty value sorts last either way.
 */
export function sortRows(
  rows: Record<string, unknown>[],
  spec: KindSpec,
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
