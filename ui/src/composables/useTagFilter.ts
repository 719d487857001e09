// Kong's tags filter, on every list: the tags its rows carry, and only the rows with the tag
// chosen (Konnect filters a list by tag the same way, one tag at a time in its filter bar).
import { computed, ref } from 'vue'

type Row = Record<string, unknown>

/** A row's tags; anything that is not a list of strings counts as none. */
export function rowTags(row: Row): string[] {
  return Array.isArray(row.tags) ? row.tags.filter((t): t is string => typeof t === 'string') : []
}

/** Every tag on `rows`, once each, in alphabetical order. */
export function tagsOf(rows: Row[]): string[] {
  return [...new Set(rows.flatMap(rowTags))].sort((a, b) => a.localeCompare(b))
}

/** The rows carrying `tag`; all of them when no tag is chosen. */
export function withTag<T extends Row>(rows: T[], tag: string | null): T[] {
  return tag ? rows.filter((r) => rowTags(r).includes(tag)) : rows
}

export function useTagFilter(rows: () => Row[]) {
  const tag = ref<string | null>(null)
  const tags = computed(() => tagsOf(rows()))
  return { tag, tags }
}
