// One entity's page: the entity from its kind's list (live, or the cache offline, with why),
// what may be changed (nothing offline; the token's roles), and deleting it after a question.
import { computed, onMounted, ref, shallowRef } from 'vue'
import { backend, asConsoleError } from '../backend'
import type { EntityList } from '../bindings/EntityList'
import { entityLabel, kindInfo, type EntityKind } from '../vocabulary'
import { useAccess } from './useAccess'
import { useConfirmDelete } from './useConfirmDelete'

/** Why nothing may be changed: offline first (nothing is queued), then the token's roles. */
export function whyNotChange(offlineReason: string | null | undefined, denied: string): string {
  return offlineReason ? `${offlineReason} Changes are disabled until it is back.` : denied
}

export function useEntityPage(groupId: string, kind: EntityKind, entityId: string) {
  const access = useAccess()
  const list = shallowRef<EntityList | null>(null)
  const error = ref('')
  const loading = ref(false)

  const entity = computed(() => list.value?.rows.find((r) => r.id === entityId) ?? null)
  const label = computed(() => entityLabel(kind, entity.value) || entityId)
  const offlineReason = computed(() => list.value?.offline_reason ?? null)
  const why = computed(() => whyNotChange(offlineReason.value, access.whyNot(groupId, kind)))
  /** The entity is not in its list (deleted elsewhere, or never cached). */
  const missing = computed(() => !!list.value && !entity.value)

  async function load() {
    loading.value = true
    error.value = ''
    try {
      list.value = await backend.groupEntities(groupId, kind)
    } catch (e) {
      error.value = asConsoleError(e).message
    } finally {
      loading.value = false
    }
  }

  /** Deleting it; `after` leaves the page (to its kind's list). */
  const deletion = (after: () => void) =>
    useConfirmDelete(async () => {
      await backend.deleteEntity(groupId, kind, entityId)
      after()
    })

  onMounted(() => {
    void load()
    void access.reload()
  })

  return {
    info: kindInfo(kind),
    list,
    entity,
    label,
    error,
    loading,
    offlineReason,
    whyNotChange: why,
    missing,
    load,
    deletion,
  }
}
