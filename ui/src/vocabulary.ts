// The console's domain words, generated from Rust (crates/console/src/vocabulary.rs): the entity
// kinds with what the UI shows of them, the analytics time frames, and the one rule for naming
// and matching a row. Lists, forms, search and pages read them here instead of keeping their own.
import type { EntityKind } from './bindings/EntityKind'
import type { ExportFormat } from './bindings/ExportFormat'
import type { KindInfo } from './bindings/KindInfo'
import type { TimeFrame } from './bindings/TimeFrame'
import { ENTITY_KINDS, EXPORT_FORMATS, TIME_FRAMES } from './bindings/vocabulary'

export type { EntityKind, ExportFormat, KindInfo, TimeFrame }
export { ENTITY_KINDS, EXPORT_FORMATS, TIME_FRAMES }

/** The kinds the Configuration view lists, in its order (nested kinds show in their parent's). */
export const LISTED_KINDS: KindInfo[] = ENTITY_KINDS.filter((k) => k.view_order !== null).sort(
  (a, b) => (a.view_order ?? 0) - (b.view_order ?? 0),
)

/** The time frames as options of a select. */
export const TIME_FRAME_OPTIONS = TIME_FRAMES.map((f) => ({ label: f, value: f }))

/** The kind named by a string from outside (a route's query, a search hit); null if none. */
export function asEntityKind(kind: unknown): EntityKind | null {
  return ENTITY_KINDS.find((k) => k.kind === kind)?.kind ?? null
}

export function kindInfo(kind: EntityKind): KindInfo {
  return ENTITY_KINDS.find((k) => k.kind === kind)!
}

/** A kind's singular name (`gateway service`), or `runtime group` for a search hit's `group`. */
export function kindName(kind: string): string {
  if (kind === 'group') return 'runtime group'
  return ENTITY_KINDS.find((k) => k.kind === kind)?.singular ?? kind
}

/** What the UI calls an entity: its kind's first naming field that is set, else its ID (as the
 * search index labels it in Rust). */
export function entityLabel(kind: EntityKind, row: Record<string, unknown> | null): string {
  if (!row) return ''
  for (const field of [...kindInfo(kind).label_fields, 'id']) {
    const v = row[field]
    if (typeof v === 'string' && v !== '') return v
  }
  return ''
}

function substringScore(pos: number, textLen: number, queryLen: number): number {
  const exact = textLen === queryLen ? 500 : 0
  return 1000 + exact - pos * 2 - Math.trunc((textLen - queryLen) / 4)
}

/**
 * How well `query` (lower-case) matches `text`, as the search palette ranks (the same rule as
 * `fuzzy_score` in crates/console/src/search.rs): the letters in order, a substring beating
 * scattered letters, an earlier and tighter match beating a later and looser one; null when the
 * letters are not all there in order.
 */
export function fuzzyScore(query: string, text: string): number | null {
  if (!query) return null
  let qi = 0
  let first = -1
  let last = 0
  let gaps = 0
  let prev = -1
  for (let i = 0; i < text.length && qi < query.length; i++) {
    if (text[i] !== query[qi]) continue
    if (first < 0) first = i
    if (prev >= 0) gaps += i - prev - 1
    prev = i
    last = i
    qi++
  }
  if (qi < query.length) return null
  if (gaps === 0) return substringScore(first, text.length, query.length)
  const pos = text.indexOf(query)
  if (pos >= 0) return substringScore(pos, text.length, query.length)
  return 500 - gaps * 10 - first * 2 - (last - first)
}

/** Whether a filter matches a row's texts: each of its words fuzzy-matches one of them. */
export function fuzzyMatches(filter: string, texts: string[]): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean)
  const hay = texts.map((t) => t.toLowerCase())
  return words.every((w) => hay.some((t) => fuzzyScore(w, t) !== null))
}
