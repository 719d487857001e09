// One runtime instance of a group: its row from the group's instances (read again in the
// background;
// offline, the cached one with why), and its compatibility issues with the entities they affect,
// named from the cache and linked to their pages.
import { computed, onMounted, reactive, watch } from 'vue'
import type { RouteLocationRaw } from 'vue-router'
import { backend } from '../backend'
import type { CompatibilityIssue } from '../bindings/CompatibilityIssue'
import { asEntityKind, kindName, type EntityKind } from '../vocabulary'
import { useInstancesView } from './useGroupInstances'

/** An entity an issue names: what it is called, and its page. */
export interface EntityLink {
  id: string
  text: string
  to: RouteLocationRaw | null
}

/** An affected entity and where it applies (its service, route, consumer… or globally). */
export interface AffectedEntity extends EntityLink {
  scopes: EntityLink[]
}

export interface IssueView {
  code: string
  severity: string
  description: string
  /** What to do about it. */
  resolution: string
  documentationUrl: string
  affected: AffectedEntity[]
}

/** The entity's own page in the group. */
export function entityPageLink(groupId: string, kind: EntityKind, id: string): RouteLocationRaw {
  return { name: 'entity', params: { id: groupId, kind, entityId: id } }
}

/** An entity of Konnect's singular type word (`plugin`, `consumer_group`), named when known. */
export function entityLink(
  groupId: string,
  type: string,
  id: string,
  names: Record<string, string>,
): EntityLink {
  const kind = asEntityKind(`${type}s`)
  const word = kind ? kindName(kind) : type.replace('_', ' ')
  const text = `${word} ${names[id] ?? id.slice(0, 8)}`
  return { id, text, to: kind ? entityPageLink(groupId, kind, id) : null }
}

/** An affected resource's detail: `service: <id>` as a link to that service, `global` as such,
 * anything else as Konnect wrote it. */
export function scopeOf(
  groupId: string,
  detail: string,
  names: Record<string, string>,
): EntityLink {
  const m = /^([a-z_]+): (\S+)$/.exec(detail.trim())
  if (m && asEntityKind(`${m[1]}s`)) return entityLink(groupId, m[1], m[2], names)
  const text = detail === 'global' ? 'every request of the group (global)' : detail
  return { id: '', text, to: null }
}

export function issueView(
  groupId: string,
  issue: CompatibilityIssue,
  names: Record<string, string>,
): IssueView {
  return {
    code: issue.code,
    severity: issue.severity,
    description: issue.description,
    resolution: issue.resolution ?? '',
    documentationUrl: issue.documentation_url ?? '',
    affected: (issue.affected_resources ?? []).map((r) => ({
      ...entityLink(groupId, r.type, r.id, names),
      scopes: (r.details ?? []).map((d) => scopeOf(groupId, d, names)),
    })),
  }
}

/** Every entity ID an issue names (affected resources and their scopes). */
export function namedIds(issues: CompatibilityIssue[]): string[] {
  const ids = issues.flatMap((i) =>
    (i.affected_resources ?? []).flatMap((r) => [
      r.id,
      ...(r.details ?? []).map((d) => /^[a-z_]+: (\S+)$/.exec(d.trim())?.[1] ?? ''),
    ]),
  )
  return [...new Set(ids.filter(Boolean))]
}

export function useRuntimeInstance(groupId: string, nodeId: string) {
  const { view, error, loading, now, load } = useInstancesView(groupId)

  const instance = computed(() => view.value?.instances.find((i) => i.id === nodeId) ?? null)
  /** Loaded, and the group no longer lists this node. */
  const missing = computed(() => !!view.value && !instance.value)

  // Names of the entities the issues name, from the search index (the cache, no network): an
  // admin reads "plugin cors on gateway service users-api", not two IDs.
  const names = reactive<Record<string, string>>({})
  async function nameEntities(ids: string[]) {
    for (const id of ids.filter((i) => !(i in names))) {
      const hits = await backend.search(id).catch(() => [])
      const hit = hits.find((h) => h.id === id && h.group_id === groupId)
      if (hit) names[id] = hit.label
    }
  }
  const ids = computed(() => namedIds(instance.value?.compatibility.issues ?? []))
  watch(ids, nameEntities)

  const issues = computed(() =>
    (instance.value?.compatibility.issues ?? []).map((i) => issueView(groupId, i, names)),
  )

  onMounted(load)
  return { view, error, loading, load, now, instance, missing, issues }
}
