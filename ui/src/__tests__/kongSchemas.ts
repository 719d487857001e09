// The real Kong 3.10 plugin schemas the local control plane serves (crates/control-plane/schemas),
// and entity schemas as it builds them, for tests of the renderer and the checks.
import { asSchema, type KongSchemaBody } from '../schema/kongSchema'

const files = import.meta.glob('../../../crates/control-plane/schemas/plugins/*.json', {
  eager: true,
  import: 'default',
}) as Record<string, unknown>

/** Every plugin schema file by plugin name. */
export const PLUGIN_SCHEMAS: Record<string, KongSchemaBody> = Object.fromEntries(
  Object.entries(files).map(([path, raw]) => [
    path
      .split('/')
      .pop()!
      .replace(/\.json$/, ''),
    asSchema(raw),
  ]),
)

export function pluginSchema(name: string): KongSchemaBody {
  const s = PLUGIN_SCHEMAS[name]
  if (!s) throw new Error(`no schema file for ${name}`)
  return s
}

/** A gateway service's schema as the local control plane serves it (crates/control-plane
 * src/entities/schema.rs `services()`), trimmed of fields the tests do not read. */
export const SERVICES: KongSchemaBody = {
  fields: [
    { id: { type: 'string', uuid: true, auto: true } },
    { created_at: { type: 'integer', timestamp: true, auto: true } },
    { updated_at: { type: 'integer', timestamp: true, auto: true } },
    { name: { type: 'string', unique: true } },
    { retries: { type: 'integer', default: 5, between: [0, 32767] } },
    { protocol: { type: 'string', required: true, default: 'http', one_of: ['http', 'https'] } },
    { host: { type: 'string', required: true } },
    { port: { type: 'integer', required: true, default: 80, between: [0, 65535] } },
    { path: { type: 'string', starts_with: '/' } },
    { client_certificate: { type: 'foreign', reference: 'certificates' } },
    { tls_verify: { type: 'boolean' } },
    {
      tls_sans: {
        type: 'record',
        fields: [
          { dnsnames: { type: 'array', elements: { type: 'string' } } },
          { uris: { type: 'array', elements: { type: 'string' } } },
        ],
      },
    },
    { enabled: { type: 'boolean', required: true, default: true } },
    { tags: { type: 'set', elements: { type: 'string', len_min: 1 } } },
  ],
}

/** A route's, with its map of headers and its service reference. */
export const ROUTES: KongSchemaBody = {
  fields: [
    { id: { type: 'string', uuid: true, auto: true } },
    { name: { type: 'string' } },
    {
      protocols: {
        type: 'set',
        required: true,
        default: ['http', 'https'],
        len_min: 1,
        elements: { type: 'string', one_of: ['grpc', 'grpcs', 'http', 'https'] },
      },
    },
    { paths: { type: 'array', elements: { type: 'string' } } },
    {
      headers: {
        type: 'map',
        keys: { type: 'string' },
        values: { type: 'array', elements: { type: 'string' } },
      },
    },
    { strip_path: { type: 'boolean', required: true, default: true } },
    { service: { type: 'foreign', reference: 'services' } },
  ],
}

/** A consumer's: its entity check. */
export const CONSUMERS: KongSchemaBody = {
  fields: [
    { id: { type: 'string', uuid: true, auto: true } },
    { username: { type: 'string', unique: true } },
    { custom_id: { type: 'string', unique: true } },
  ],
  entity_checks: [{ at_least_one_of: ['custom_id', 'username'] }],
}
