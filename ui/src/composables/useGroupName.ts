// A runtime group's name, as the cache knows it, for titles and breadcrumbs.
import { onMounted, ref } from 'vue'
import { backend } from '../backend'

export function useGroupName(groupId: string) {
  const name = ref('')
  onMounted(async () => {
    const overview = await backend.cachedOverview().catch(() => null)
    name.value = overview?.groups.find((g) => g.id === groupId)?.name ?? 'Runtime group'
  })
  return name
}
