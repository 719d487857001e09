// An entity's fields as its Details tab lists them: in the entity's order, labelled as Kong's
// forms label them, references as links to their pages, timestamps as dates, structured values
// as YAML, and secrets (a certificate's private key) never shown.
import { cellText } from '../../entityColumns'
import { kongDateTime } from '../../format'
import { fieldLabel } from '../../schema/kongSchema'
import type { EntityKind } from '../../vocabulary'
import { REFERENCE_KINDS, refId } from './entityTabs'

export type DetailRow =
  | { key: string; label: string; show: 'text'; text: string }
  | { key: string; label: string; show: 'link'; kind: EntityKind; id: string }
  | { key: string; label: string; show: 'code'; value: unknown }
  | { key: string; label: string; show: 'hidden' }

/** Fields that hold a secret the page never shows (it is still in the edit form). */
const SECRETS: Partial<Record<EntityKind, string[]>> = {
  certificates: ['key', 'key_alt'],
  keys: ['jwk', 'pem'],
}

/** Long texts (PEM certificates) shown as code, folded. */
const CODE = new Set(['cert', 'cert_alt'])

/** What names an entity first, as Konnect's pages open; then the rest, timestamps last. */
const FIRST = ['name', 'username', 'custom_id', 'prefix', 'target', 'kid', 'id', 'enabled']
const LAST = ['tags', 'created_at', 'updated_at']
const rank = (key: string) =>
  FIRST.includes(key)
    ? FIRST.indexOf(key) - FIRST.length
    : LAST.includes(key)
      ? LAST.indexOf(key) + 1
      : 0

/** The entity's fields in the order the page shows them (a stable sort keeps Kong's order). */
export function orderedFields(entity: Record<string, unknown>): [string, unknown][] {
  return Object.entries(entity).sort(([a], [b]) => rank(a) - rank(b))
}

export function detailRows(kind: EntityKind, entity: Record<string, unknown>): DetailRow[] {
  const secrets = new Set(SECRETS[kind] ?? [])
  return orderedFields(entity).map(([key, value]): DetailRow => {
    const label = fieldLabel(key)
    if (secrets.has(key))
      return value ? { key, label, show: 'hidden' } : { key, label, show: 'text', text: '–' }
    const refKind = REFERENCE_KINDS[key]
    if (refKind && refId(value))
      return { key, label, show: 'link', kind: refKind, id: refId(value) }
    if ((key === 'created_at' || key === 'updated_at') && typeof value === 'number')
      return { key, label, show: 'text', text: kongDateTime(value) }
    const structured =
      (value !== null && typeof value === 'object' && !Array.isArray(value)) ||
      (Array.isArray(value) && value.some((v) => v !== null && typeof v === 'object'))
    if (structured || (CODE.has(key) && typeof value === 'string'))
      return { key, label, show: 'code', value }
    return { key, label, show: 'text', text: cellText(value) }
  })
}
