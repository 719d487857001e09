// The tabs of each kind's entity page, as Konnect lays them out: data, so one page serves every
// kind. A tab lists entities of another kind that point at this one (`field`), the consumers
// and consumer groups linked by membership, or the entity's own details.
import type { EntityKind } from '../../vocabulary'

export type EntityTab =
  | { hash: string; title: string; show: 'details' }
  /** Entities of `kinds` whose `field` refers to this entity, one list per kind. */
  | { hash: string; title: string; show: 'related'; kinds: EntityKind[]; field: string }
  /** Consumer group membership: a group's consumers, or a consumer's groups. */
  | { hash: string; title: string; show: 'members' | 'groups' }

const details: EntityTab = { hash: '#details', title: 'Details', show: 'details' }
const plugins = (field: string): EntityTab => ({
  hash: '#plugins',
  title: 'Plugins',
  show: 'related',
  kinds: ['plugins'],
  field,
})

/** Every credential kind a consumer can hold, in Konnect's order. */
export const CREDENTIAL_KINDS: EntityKind[] = [
  'key-auths',
  'basic-auths',
  'jwts',
  'hmac-auths',
  'acls',
]

const TABS: Partial<Record<EntityKind, EntityTab[]>> = {
  services: [
    details,
    { hash: '#routes', title: 'Routes', show: 'related', kinds: ['routes'], field: 'service' },
    plugins('service'),
  ],
  routes: [details, plugins('route')],
  consumers: [
    details,
    {
      hash: '#credentials',
      title: 'Credentials',
      show: 'related',
      kinds: CREDENTIAL_KINDS,
      field: 'consumer',
    },
    { hash: '#consumer-groups', title: 'Consumer groups', show: 'groups' },
    plugins('consumer'),
  ],
  consumer_groups: [
    details,
    { hash: '#consumers', title: 'Consumers', show: 'members' },
    plugins('consumer_group'),
  ],
  upstreams: [
    details,
    { hash: '#targets', title: 'Targets', show: 'related', kinds: ['targets'], field: 'upstream' },
  ],
  certificates: [
    details,
    { hash: '#snis', title: 'SNIs', show: 'related', kinds: ['snis'], field: 'certificate' },
  ],
  'key-sets': [
    details,
    { hash: '#keys', title: 'Keys', show: 'related', kinds: ['keys'], field: 'set' },
  ],
}

/** The tabs of a kind's page; a kind with nothing nested has its details alone. */
export function tabsOf(kind: EntityKind): EntityTab[] {
  return TABS[kind] ?? [details]
}

/** The kind a reference field points at (`service` → services), for links between pages. */
export const REFERENCE_KINDS: Record<string, EntityKind> = {
  service: 'services',
  route: 'routes',
  consumer: 'consumers',
  consumer_group: 'consumer_groups',
  upstream: 'upstreams',
  certificate: 'certificates',
  set: 'key-sets',
}

/** The ID a reference field holds (`{id}` as Kong answers it, or a bare ID); '' if none. */
export function refId(value: unknown): string {
  if (typeof value === 'string') return value
  const id = (value as { id?: unknown } | null | undefined)?.id
  return typeof id === 'string' ? id : ''
}
