// A group's configuration, one entity kind at a time: the kind's list from the cache, a filter,
// a column sort, what may be changed, copying an ID, viewing a row as YAML or JSON, and deleting
// after a confirmation.
import { computed, onMounted, ref, watch } from 'vue'
import { backend, type ConsoleError } from '../backend'
import type { EntityList } from '../bindings/EntityList'
import { KINDS, matches, sortRows, type KindSpec, type SortOrder } from '../entityColumns'
import { entityLabel } from '../vocabulary'
import { useAccess } from './useAccess'
import { useConfirmDelete } from './useConfirmDelete'
import { annotateRows } from './useRowFacts'
import { tagsOf, withTag } from './useTagFilter'

export type EntityRow = Record<string, unknown>

/** The listed kind named by a string from outside (a route's query); the first if none. */
const specOf = (kind: string | undefined): KindSpec =>
  KINDS.find((k) => k.kind === kind) ?? KINDS[0]

/** Click a column once to sort by it, again to reverse, a third time for the API's order. */
export function nextOrder(current: SortOrder | null, key: string): SortOrder | null {
  if (current?.key !== key) return { key, descending: false }
  return current.descending ? null : { key, descending: true }
}

export function useEntityList(groupId: string, initialKind?: string, initialFilter?: string) {
  const spec = ref(specOf(initialKind))
  const list = ref<EntityList | null>(null)
  const error = ref('')
  const filter = ref(initialFilter ?? '')
  /** The tag rows must carry (null: any). */
  const tag = ref<string | null>(null)
  const order = ref<SortOrder | null>(null)
  const now = ref(new Date())
  const access = useAccess()

  const tags = computed(() => tagsOf(list.value?.rows ?? []))
  const shown = computed(() =>
    sortRows(
      withTag(list.value?.rows ?? [], tag.value).filter((r) =>
        matches(r, spec.value, filter.value),
      ),
      spec.value,
      order.value,
    ),
  )

  async function load() {
    list.value = null
    error.value = ''
    try {
      list.value = await backend.groupEntities(groupId, spec.value.kind)
      annotateRows(groupId, list.value.kind, list.value.rows)
    } catch (e) {
      error.value = (e as ConsoleError).message
    }
    now.value = new Date()
  }

  /** Another kind: its list from the top, unfiltered, in the API's order. */
  function select(kind: string) {
    spec.value = specOf(kind)
    filter.value = ''
    tag.value = null
    order.value = null
    load()
  }

  const sortBy = (key: string) => (order.value = nextOrder(order.value, key))

  /** Why this token may not change this kind here ('' when it may). */
  const denied = computed(() => access.whyNot(groupId, spec.value.kind))
  /** Why no row may be changed now: offline, or the token's roles ('' when they may). */
  const whyNotChange = computed(() =>
    list.value?.offline_reason ? `Offline: ${list.value.offline_reason}` : denied.value,
  )

  const copied = ref('')
  async function copyId(row: EntityRow) {
    await navigator.clipboard?.writeText(String(row.id)).catch(() => {})
    copied.value = String(row.id)
  }

  /** How a row of this kind is named in a title or a question. */
  const rowLabel = (row: EntityRow | null) => entityLabel(spec.value.kind, row)

  /** The row shown as text, YAML written by the serializer decK exports use, or JSON. */
  const viewing = ref<EntityRow | null>(null)
  const viewFormat = ref<'YAML' | 'JSON'>('YAML')
  const viewText = ref('')
  watch([viewing, viewFormat], async ([row, format]) => {
    if (!row || format === 'JSON') {
      viewText.value = row ? JSON.stringify(row, null, 2) : ''
      return
    }
    viewText.value = ''
    try {
      const text = await backend.entityYaml(row)
      if (viewing.value === row && viewFormat.value === 'YAML') viewText.value = text
    } catch (e) {
      viewText.value = `# ${(e as ConsoleError).message}`
    }
  })

  const deletion = useConfirmDelete(async (row: EntityRow) => {
    await backend.deleteEntity(groupId, spec.value.kind, String(row.id))
    load()
  })

  onMounted(() => {
    load()
    access.reload()
  })

  return {
    spec,
    list,
    error,
    filter,
    tag,
    tags,
    order,
    now,
    shown,
    load,
    select,
    sortBy,
    denied,
    whyNotChange,
    copied,
    copyId,
    rowLabel,
    viewing,
    viewFormat,
    viewText,
    deletion,
  }
}
