// A group's configuration, one entity kind at a time: the kind's list from the cache, a filter,
// a column sort, what may be changed, copying an ID, viewing a row as YAML or JSON, and deleting
// after a confirmation.
import { computed, onMounted, ref, watch, shallowRef } from 'vue'
import { backend, type ConsoleError } from '../backend'
import type { EntityList } from '../bindings/EntityList'
import { KINDS, matches, sortRows, type KindSpec, type SortOrder } from '../entityColumns'
import { afterPaint } from '../paintMark'
import { entityLabel } from '../vocabulary'
import { useAccess } from './useAccess'
import { useConfirmDelete } from './useConfirmDelete'
import { sameRowsOr } from './useVirtualRows'
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

/** A cached list's first rows, painted before the rest is read: two screens of rows and the
 * margin the table renders around them (a list this long or longer comes in two steps). */
export const FIRST_ROWS = 100

/** A group's first cached rows asked for while the navigation to its configuration runs (see the
 * router): the page is then built with its rows and painted once, not painted without them and
 * again with them (later visits in one launch: 114 → 104 ms, medians of 30). `list` is set once
 * they are in. */
type ReadAhead = {
  key: string
  at: number
  rows: Promise<EntityList | null>
  list?: EntityList | null
}
let readAhead: ReadAhead | null = null
/** A read-ahead older than this is not taken (its navigation was cancelled; the cache may have
 * changed since). */
const READ_AHEAD_FRESH_MS = 1000

/** A kind's first `FIRST_ROWS` cached rows in the group (null when none are cached or the cache
 * failed: the live list follows either way). */
const firstCachedRows = (groupId: string, kind: KindSpec['kind']) =>
  backend.cachedGroupEntities(groupId, kind, FIRST_ROWS).catch(() => null)

/** Asks for the first cached rows of `kind` (a route's query; the first kind if none) in the
 * group; resolves once they are in. */
export function readFirstRowsAhead(groupId: string, kind?: string): Promise<EntityList | null> {
  const k = specOf(kind).kind
  const rows = firstCachedRows(groupId, k)
  const ahead: ReadAhead = { key: `${groupId}:${k}`, at: performance.now(), rows }
  readAhead = ahead
  return rows.then((l) => (ahead.list = l))
}

/** The fresh read-ahead for this group and kind, taken once (a later load asks the cache). */
function takeReadAhead(groupId: string, kind: string): ReadAhead | null {
  const ahead = readAhead
  readAhead = null
  const fresh = ahead && performance.now() - ahead.at < READ_AHEAD_FRESH_MS
  return fresh && ahead.key === `${groupId}:${kind}` ? ahead : null
}

export function useEntityList(groupId: string, initialKind?: string, initialFilter?: string) {
  const spec = ref(specOf(initialKind))
  const list = shallowRef<EntityList | null>(null)
  /** Whether `list` holds only the cached list's first rows, the rest being read. */
  const partial = ref(false)
  const error = ref('')
  const filter = ref(initialFilter ?? '')
  /** The tag rows must carry (null: any). */
  const tag = ref<string | null>(null)
  const order = ref<SortOrder | null>(null)
  const now = ref(new Date())
  const access = useAccess()

  const tags = computed(() => tagsOf(list.value?.rows ?? []))
  const shown = computed<EntityRow[]>((before) =>
    sameRowsOr(
      before,
      sortRows(
        withTag(list.value?.rows ?? [], tag.value).filter((r) =>
          matches(r, spec.value, filter.value),
        ),
        spec.value,
        order.value,
      ),
    ),
  )

  /** The kind's list from the cache at once (10,000 routes paint from it without a round trip),
   * then the live one; a reply for a kind no longer selected is dropped. */
  async function load() {
    const kind = spec.value.kind
    list.value = null
    error.value = ''
    const show = (l: EntityList, first = false) => {
      if (spec.value.kind !== kind) return
      annotateRows(groupId, l.kind, l.rows)
      partial.value = first && l.rows.length === FIRST_ROWS
      list.value = l
    }
    performance.mark('entities-asked') // the benchmark's breakdown
    const ahead = takeReadAhead(groupId, kind)
    const cached =
      ahead?.list !== undefined ? ahead.list : await (ahead?.rows ?? firstCachedRows(groupId, kind))
    performance.mark('entities-received') // the benchmark's breakdown
    if (cached) {
      show(cached, true)
      // The cached rows paint before the rest of them, and the live request, compete with them.
      await afterPaint()
      if (partial.value) {
        const all = await backend.cachedGroupEntities(groupId, kind, null).catch(() => null)
        if (all) show(all)
        await afterPaint()
        performance.mark('entities-complete') // the benchmark's breakdown
      }
    }
    try {
      show(await backend.groupEntities(groupId, kind))
    } catch (e) {
      if (spec.value.kind === kind) error.value = (e as ConsoleError).message
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
    list.value?.offline_reason && !denied.value ? list.value.offline_reason : denied.value,
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

  // Asked for now, not once mounted: the cache answers while the page renders its frame.
  load()
  onMounted(() => access.reload())

  return {
    spec,
    list,
    partial,
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
