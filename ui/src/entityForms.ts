// Kong's entity fields as form fields, per kind: data, not code, so one form component creates
// and edits every kind. Checks here mirror Kong's schema rules the user can fix before sending;
// the API's own field errors are shown on the same fields.
import type { EntityKind } from './vocabulary'

export type FieldType =
  'text' | 'number' | 'boolean' | 'list' | 'select' | 'reference' | 'textarea' | 'json'

export interface FormField {
  key: string
  label: string
  type: FieldType
  required?: boolean
  help?: string
  options?: string[]
  /** For references: the kind whose entities can be picked. */
  ref?: EntityKind
  min?: number
  max?: number
  /** A plugin's scope fields: at most one may be set (none means global). */
  scope?: boolean
}

const tags: FormField = {
  key: 'tags',
  label: 'Tags',
  type: 'list',
  help: 'Comma-separated, e.g. team-a, prod',
}
const PROTOCOLS = ['http', 'https', 'grpc', 'grpcs', 'tcp', 'tls', 'udp']

/** The form of each kind the console edits. Indexed by any string, so a kind read from outside
 * (a route's query) can be looked up; the keys are checked against the vocabulary's kinds. */
export const FORMS: Record<string, FormField[]> = {
  services: [
    { key: 'name', label: 'Name', type: 'text', help: 'Letters, digits, and . - _ ~' },
    { key: 'protocol', label: 'Protocol', type: 'select', options: PROTOCOLS },
    { key: 'host', label: 'Host', type: 'text', required: true },
    { key: 'port', label: 'Port', type: 'number', min: 0, max: 65535 },
    { key: 'path', label: 'Path', type: 'text', help: 'Starts with /' },
    { key: 'retries', label: 'Retries', type: 'number', min: 0, max: 32767 },
    { key: 'connect_timeout', label: 'Connect timeout (ms)', type: 'number', min: 1 },
    { key: 'read_timeout', label: 'Read timeout (ms)', type: 'number', min: 1 },
    { key: 'write_timeout', label: 'Write timeout (ms)', type: 'number', min: 1 },
    { key: 'enabled', label: 'Enabled', type: 'boolean' },
    tags,
  ],
  routes: [
    { key: 'name', label: 'Name', type: 'text' },
    { key: 'service', label: 'Gateway service', type: 'reference', ref: 'services' },
    { key: 'protocols', label: 'Protocols', type: 'list', help: 'e.g. http, https' },
    { key: 'hosts', label: 'Hosts', type: 'list' },
    { key: 'methods', label: 'Methods', type: 'list', help: 'e.g. GET, POST' },
    { key: 'paths', label: 'Paths', type: 'list', help: 'Each starts with / (or ~ for a regex)' },
    { key: 'strip_path', label: 'Strip path', type: 'boolean' },
    { key: 'preserve_host', label: 'Preserve host', type: 'boolean' },
    tags,
  ],
  consumers: [
    { key: 'username', label: 'Username', type: 'text' },
    { key: 'custom_id', label: 'Custom ID', type: 'text' },
    tags,
  ],
  consumer_groups: [{ key: 'name', label: 'Name', type: 'text', required: true }, tags],
  plugins: [
    {
      key: 'name',
      label: 'Plugin',
      type: 'select',
      options: ['key-auth', 'rate-limiting'],
      required: true,
    },
    { key: 'instance_name', label: 'Instance name', type: 'text' },
    {
      key: 'service',
      label: 'Scope: gateway service',
      type: 'reference',
      ref: 'services',
      scope: true,
    },
    { key: 'route', label: 'Scope: route', type: 'reference', ref: 'routes', scope: true },
    { key: 'consumer', label: 'Scope: consumer', type: 'reference', ref: 'consumers', scope: true },
    {
      key: 'consumer_group',
      label: 'Scope: consumer group',
      type: 'reference',
      ref: 'consumer_groups',
      scope: true,
    },
    {
      key: 'config',
      label: 'Configuration',
      type: 'json',
      help: 'JSON, e.g. {"minute": 100} for rate-limiting',
    },
    { key: 'enabled', label: 'Enabled', type: 'boolean' },
    tags,
  ],
  upstreams: [
    {
      key: 'name',
      label: 'Name',
      type: 'text',
      required: true,
      help: 'A hostname services can point at',
    },
    {
      key: 'algorithm',
      label: 'Algorithm',
      type: 'select',
      options: ['round-robin', 'consistent-hashing', 'least-connections', 'latency'],
    },
    { key: 'slots', label: 'Slots', type: 'number', min: 10, max: 65536 },
    tags,
  ],
  certificates: [
    { key: 'cert', label: 'Certificate (PEM)', type: 'textarea', required: true },
    { key: 'key', label: 'Private key (PEM)', type: 'textarea', required: true },
    tags,
  ],
  snis: [
    { key: 'name', label: 'Name', type: 'text', required: true },
    {
      key: 'certificate',
      label: 'Certificate',
      type: 'reference',
      ref: 'certificates',
      required: true,
    },
    tags,
  ],
  vaults: [
    {
      key: 'prefix',
      label: 'Prefix',
      type: 'text',
      required: true,
      help: 'Used in references: {vault://prefix/…}',
    },
    { key: 'name', label: 'Vault type', type: 'select', options: ['env'], required: true },
    { key: 'description', label: 'Description', type: 'text' },
    { key: 'config', label: 'Configuration', type: 'json', help: 'JSON, e.g. {"prefix": "MY_"}' },
    tags,
  ],
  keys: [
    { key: 'name', label: 'Name', type: 'text' },
    { key: 'kid', label: 'Key ID', type: 'text', required: true },
    { key: 'set', label: 'Key set', type: 'reference', ref: 'key-sets' },
    { key: 'jwk', label: 'JWK', type: 'textarea', help: 'A JSON Web Key as a JSON string' },
    tags,
  ],
  'key-sets': [{ key: 'name', label: 'Name', type: 'text' }, tags],
} satisfies Partial<Record<EntityKind, FormField[]>>

export type FormValues = Record<string, string | boolean>

/** The form's starting values: an entity's fields for an edit, blanks for a create. */
export function initialValues(kind: string, entity?: Record<string, unknown>): FormValues {
  const out: FormValues = {}
  for (const f of FORMS[kind] ?? []) {
    const v = entity?.[f.key]
    if (f.type === 'boolean') out[f.key] = v === undefined ? f.key !== 'preserve_host' : Boolean(v)
    else if (f.type === 'list') out[f.key] = Array.isArray(v) ? v.join(', ') : ''
    else if (f.type === 'reference')
      out[f.key] = v && typeof v === 'object' ? String((v as { id?: unknown }).id ?? '') : ''
    else if (f.type === 'json')
      out[f.key] = v === undefined || v === null ? '' : JSON.stringify(v, null, 2)
    else out[f.key] = v === undefined || v === null ? '' : String(v)
  }
  return out
}

/**
 * The request body from the form, or the field errors that stop it. Blank optional fields are
 * left out so Kong's defaults apply; on an edit they are left as they are.
 */
export function toBody(
  kind: string,
  values: FormValues,
): { body: Record<string, unknown>; errors: Record<string, string> } {
  const body: Record<string, unknown> = {}
  const errors: Record<string, string> = {}
  const fields = FORMS[kind] ?? []
  for (const f of fields) {
    const raw = values[f.key]
    if (f.type === 'boolean') {
      body[f.key] = Boolean(raw)
      continue
    }
    const text = String(raw ?? '').trim()
    if (!text) {
      if (f.required) errors[f.key] = `${f.label} is required.`
      // An unset scope is sent as null, so an edit to "Global" takes the old scope away.
      if (f.scope) body[f.key] = null
      continue
    }
    switch (f.type) {
      case 'number': {
        const n = Number(text)
        if (!Number.isInteger(n)) errors[f.key] = `${f.label} must be a whole number.`
        else if (f.min !== undefined && n < f.min)
          errors[f.key] = `${f.label} must be at least ${f.min}.`
        else if (f.max !== undefined && n > f.max)
          errors[f.key] = `${f.label} must be at most ${f.max}.`
        else body[f.key] = n
        break
      }
      case 'list':
        body[f.key] = text
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
        break
      case 'reference':
        body[f.key] = { id: text }
        break
      case 'json':
        try {
          body[f.key] = JSON.parse(text)
        } catch {
          errors[f.key] = `${f.label} is not valid JSON.`
        }
        break
      default:
        body[f.key] = text
    }
  }
  const scopes = fields.filter((f) => f.scope && body[f.key])
  if (scopes.length > 1)
    for (const f of scopes)
      errors[f.key] =
        'Choose one scope: a gateway service, a route, a consumer or a consumer group ' +
        '(none makes the plugin global).'
  if (kind === 'services' && typeof body.path === 'string' && !body.path.startsWith('/'))
    errors.path = 'Path must start with /.'
  if (
    kind === 'routes' &&
    !['hosts', 'paths', 'methods'].some(
      (k) => Array.isArray(body[k]) && (body[k] as unknown[]).length,
    )
  )
    errors.paths = 'A route needs at least one of hosts, paths or methods.'
  if (kind === 'consumers' && !body.username && !body.custom_id)
    errors.username = 'A consumer needs a username or a custom ID.'
  return { body, errors }
}
