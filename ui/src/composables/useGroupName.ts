// A runtime group's name, as the cache knows it, for titles and breadcrumbs.
import { onMounted, ref } from 'vue'
import { backend } from '../backend'

/** Names of the groups the overview last showed: a page opened from it titles itself at once,
 * without reading the whole cached overview again for one name. */
const known = new Map<string, string>()

export function rememberGroupNames(groups: readonly { id: string; name: string }[]): void {
  known.clear()
  for (const g of groups) known.set(g.id, g.name)
}

export function useGroupName(groupId: string) {
  const name = ref(known.get(groupId) ?? '')
  onMounted(async () => {
    if (name.value) return
    const overview = await backend.cachedOverview().catch(() => null)
    const group = overview?.groups.find((g) => g.id === groupId)
    name.value = group?.name ?? 'Runtime group'
    if (overview) rememberGroupNames(overview.groups)
  })
  return name
}
