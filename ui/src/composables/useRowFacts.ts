// Facts a list shows that are not fields of its rows: what a certificate's PEM says (subject,
// SANs, expiry) and how many consumers a consumer group has. Read once per row in the
// background and kept in reactive caches, so a list's columns fill in as they arrive.
import { reactive } from 'vue'
import { backend } from '../backend'
import type { CertificateDetails } from '../bindings/CertificateDetails'
import { counted } from '../format'
import type { EntityKind } from '../vocabulary'

type Row = Record<string, unknown>

/** Details by PEM text (a PEM names its certificate, whichever group holds it); null: unreadable. */
const certificates = reactive(new Map<string, CertificateDetails | null>())
/** Member counts by consumer group ID; null while unknown (never read, or offline uncached). */
const memberCounts = reactive(new Map<string, number | null>())

/** What a certificate's PEM says, read once; null when it is not a certificate. */
export async function certificateDetails(pem: string): Promise<CertificateDetails | null> {
  if (!certificates.has(pem)) {
    const details = await backend.certificateDetails(pem).catch(() => null)
    certificates.set(pem, details)
  }
  return certificates.get(pem) ?? null
}

/** The details already read for a certificate row (undefined while being read). */
export function certificateOf(row: Row): CertificateDetails | null | undefined {
  return typeof row.cert === 'string' ? certificates.get(row.cert) : null
}

/** How many consumers a consumer group row has, once read. */
export function memberCountOf(row: Row): number | null | undefined {
  return memberCounts.get(String(row.id))
}

/** Reads, in the background, the facts a list of `kind` shows for its rows. */
export function annotateRows(groupId: string, kind: EntityKind, rows: Row[]) {
  if (kind === 'certificates') {
    for (const r of rows) if (typeof r.cert === 'string') void certificateDetails(r.cert)
  } else if (kind === 'consumer_groups') {
    for (const r of rows) void countMembers(groupId, String(r.id))
  }
}

async function countMembers(groupId: string, consumerGroupId: string) {
  try {
    const members = await backend.consumerGroupMembers(groupId, consumerGroupId)
    memberCounts.set(consumerGroupId, members.rows.length)
  } catch {
    if (!memberCounts.has(consumerGroupId)) memberCounts.set(consumerGroupId, null)
  }
}

/** A count changed on an entity page (a member added or removed): the list shows it. */
export function noteMemberCount(consumerGroupId: string, count: number) {
  memberCounts.set(consumerGroupId, count)
}

/** An expiry as a list shows it: the date, and "expired" once past. */
export function expiryText(details: CertificateDetails | null | undefined, now = new Date()) {
  if (!details) return details === undefined ? '…' : '–'
  const at = new Date(details.not_after)
  const date = at.toISOString().slice(0, 10)
  return at < now ? `${date} (expired)` : date
}

/** How long until an expiry, in days: "in 3 days", "today", "5 days ago". */
export function expiresIn(iso: string, now = new Date()): string {
  const days = Math.round((new Date(iso).getTime() - now.getTime()) / 86_400_000)
  if (days === 0) return 'today'
  const n = Math.abs(days)
  const span = counted(n, 'day')
  return days > 0 ? `in ${span}` : `${span} ago`
}
