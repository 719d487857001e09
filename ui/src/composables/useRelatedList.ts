// The entities of one kind that belong to an entity (a service's routes, an upstream's targets,
// a consumer's jwts): its kind's list, live or cached, narrowed to those whose reference field
// names the entity, with a tag filter, what may be changed, and deleting after a question.
import { computed, onMounted, ref, shallowRef } from 'vue'
import { asConsoleError, backend } from '../backend'
import type { EntityList } from '../bindings/EntityList'
import { entityLabel, type EntityKind } from '../vocabulary'
import { refId } from '../pages/entity/entityTabs'
import { useAccess } from './useAccess'
import { useConfirmDelete } from './useConfirmDelete'
import { whyNotChange } from './useEntityPage'
import { useTagFilter, withTag } from './useTagFilter'

type Row = Record<string, unknown>

/** The rows of `list` whose `field` refers to `parentId`. */
export function belongingTo(rows: Row[], field: string, parentId: string): Row[] {
  return rows.filter((r) => refId(r[field]) === parentId)
}

export function useRelatedList(groupId: string, kind: EntityKind, field: string, parentId: string) {
  const access = useAccess()
  const list = shallowRef<EntityList | null>(null)
  const error = ref('')

  const rows = computed(() => belongingTo(list.value?.rows ?? [], field, parentId))
  const { tag, tags } = useTagFilter(() => rows.value)
  const shown = computed(() => withTag(rows.value, tag.value))
  const why = computed(() => whyNotChange(list.value?.offline_reason, access.whyNot(groupId, kind)))

  async function load() {
    error.value = ''
    try {
      list.value = await backend.groupEntities(groupId, kind)
    } catch (e) {
      error.value = asConsoleError(e).message
    }
  }

  const deletion = useConfirmDelete(async (row: Row) => {
    await backend.deleteEntity(groupId, kind, String(row.id))
    await load()
  })

  /** What a new one is created with: the reference to its parent (`{consumer: {id}}`). */
  const preset = { [field]: parentId }
  const rowLabel = (row: Row | null) => entityLabel(kind, row)

  onMounted(load)

  return {
    list,
    error,
    rows,
    shown,
    tag,
    tags,
    whyNotChange: why,
    load,
    deletion,
    preset,
    rowLabel,
  }
}
