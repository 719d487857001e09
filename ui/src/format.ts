// Display helpers: Konnect's words for API values, and times as people read them.

const CLUSTER_TYPES: Record<string, string> = {
  CLUSTER_TYPE_CONTROL_PLANE: 'Hybrid',
  CLUSTER_TYPE_K8S_INGRESS_CONTROLLER: 'Kong Ingress Controller',
  CLUSTER_TYPE_CONTROL_PLANE_GROUP: 'Control plane group',
  CLUSTER_TYPE_SERVERLESS: 'Serverless',
  CLUSTER_TYPE_SERVERLESS_V1: 'Serverless',
  CLUSTER_TYPE_KAFKA_NATIVE_EVENT_PROXY: 'Event gateway',
}

export function clusterTypeLabel(type: string): string {
  return CLUSTER_TYPES[type] ?? type
}

/** "just now", "5 minutes ago", "3 days ago"; `now` is injectable for tests. */
export function relativeTime(iso: string, now: Date = new Date()): string {
  const seconds = Math.round((now.getTime() - new Date(iso).getTime()) / 1000)
  if (Number.isNaN(seconds)) return 'unknown'
  if (seconds < 10) return 'just now'
  const units: Array<[number, string]> = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ]
  for (const [size, name] of units) {
    if (seconds >= size) {
      const n = Math.floor(seconds / size)
      return `${counted(n, name)} ago`
    }
  }
  return 'just now'
}

export function exactTime(iso: string): string {
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString()
}

/** "14:10" today, "28 Nov, 14:10" another day: when something was synced, as a banner says it. */
export function clockTime(iso: string, now: Date = new Date()): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
  if (d.toDateString() === now.toDateString()) return time
  return `${d.toLocaleDateString([], { day: 'numeric', month: 'short' })}, ${time}`
}

/** A Kong timestamp (unix seconds) as a date, as the locale writes a short one ("1 Dec 2026");
 * a dash when there is none. */
export function kongDate(seconds: unknown): string {
  if (typeof seconds !== 'number') return '–'
  const date = { day: 'numeric', month: 'short', year: 'numeric' } as const
  return new Date(seconds * 1000).toLocaleDateString([], date)
}

/** A Kong timestamp (unix seconds) as a local date and time. */
export function kongDateTime(seconds: number): string {
  return new Date(seconds * 1000).toLocaleString()
}

/** A phrase starting a sentence or a label: "gateway service" → "Gateway service" (sentence case,
 * as Konnect writes its labels; CSS `capitalize` would make it "Gateway Service"). */
export function capitalized(phrase: string): string {
  return phrase.charAt(0).toUpperCase() + phrase.slice(1)
}

/** A number as the app's English words write it: "2,500". */
export function count(n: number | bigint): string {
  return n.toLocaleString('en-US')
}

/** A count with its noun, singular for one: "1 request", "2,500 requests", "3 entities". */
export function counted(n: number | bigint, noun: string, plural = `${noun}s`): string {
  return `${count(n)} ${Number(n) === 1 ? noun : plural}`
}

/** "2,500 of 10,000": a part of a whole, as list headers and progress say it. */
export function countOf(part: number | bigint, whole: number | bigint): string {
  return `${count(part)} of ${count(whole)}`
}
