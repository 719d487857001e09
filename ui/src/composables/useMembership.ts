// Consumer group membership from either side: a consumer group's consumers, or a consumer's
// consumer groups; adding one picked from those not in yet, removing one. Offline the cached
// list shows and nothing may change.
import { computed, onMounted, ref, shallowRef } from 'vue'
import { asConsoleError, backend } from '../backend'
import type { EntityList } from '../bindings/EntityList'
import { entityLabel, type EntityKind } from '../vocabulary'
import { useAccess } from './useAccess'
import { useAsyncAction } from './useAsyncAction'
import { useConfirmDelete } from './useConfirmDelete'
import { whyNotChange } from './useEntityPage'
import { noteMemberCount } from './useRowFacts'
import { useTagFilter, withTag } from './useTagFilter'

type Row = Record<string, unknown>

/** `members`: the consumers of consumer group `entityId`; `groups`: the groups of a consumer. */
export type MembershipSide = 'members' | 'groups'

/** The kind listed on a side. */
export const listedKind = (side: MembershipSide): EntityKind =>
  side === 'members' ? 'consumers' : 'consumer_groups'

/** What may still be added: the other kind's rows not listed yet, as a picker's items. */
export function candidates(kind: EntityKind, all: Row[], listed: Row[]) {
  const taken = new Set(listed.map((r) => String(r.id)))
  return all
    .filter((r) => !taken.has(String(r.id)))
    .map((r) => ({ label: entityLabel(kind, r), value: String(r.id) }))
}

export function useMembership(groupId: string, side: MembershipSide, entityId: string) {
  const access = useAccess()
  const kind = listedKind(side)
  const list = shallowRef<EntityList | null>(null)
  const all = shallowRef<Row[]>([])
  const error = ref('')
  const chosen = ref<string | null>(null)

  const rows = computed(() => list.value?.rows ?? [])
  const { tag, tags } = useTagFilter(() => rows.value)
  const shown = computed(() => withTag(rows.value, tag.value))
  const items = computed(() => candidates(kind, all.value, rows.value))
  const why = computed(() =>
    whyNotChange(list.value?.offline_reason, access.whyNot(groupId, 'consumer_groups')),
  )

  /** The pair (consumer group, consumer) for the row of the other side. */
  const pair = (otherId: string): [string, string] =>
    side === 'members' ? [entityId, otherId] : [otherId, entityId]

  async function load() {
    error.value = ''
    try {
      list.value =
        side === 'members'
          ? await backend.consumerGroupMembers(groupId, entityId)
          : await backend.consumerGroupsOf(groupId, entityId)
      if (side === 'members' && !list.value.offline_reason)
        noteMemberCount(entityId, list.value.rows.length)
    } catch (e) {
      error.value = asConsoleError(e).message
    }
    all.value = (await backend.groupEntities(groupId, kind).catch(() => null))?.rows ?? []
  }

  const adding = useAsyncAction(
    async (otherId: string) => {
      await backend.addConsumerGroupMember(groupId, ...pair(otherId))
      chosen.value = null
      await load()
    },
    { inline: true },
  )
  const add = () => (chosen.value ? adding.run(chosen.value) : Promise.resolve(false))

  const removal = useConfirmDelete(async (row: Row) => {
    await backend.removeConsumerGroupMember(groupId, ...pair(String(row.id)))
    await load()
  })

  onMounted(load)

  return {
    kind,
    list,
    error,
    rows,
    shown,
    tag,
    tags,
    items,
    chosen,
    add,
    adding,
    removal,
    whyNotChange: why,
    load,
    rowLabel: (row: Row | null) => entityLabel(kind, row),
  }
}
