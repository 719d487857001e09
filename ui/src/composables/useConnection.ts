// The app's one offline state, as the shell reports it (`connection` events, at once on the first
// failed request and every probe while offline): every page, banner and disabled action reads it,
// so "offline" is said the same way everywhere and never as a permissions problem.
import { computed, ref } from 'vue'
import { listen, type UnlistenFn } from '@tauri-apps/api/event'
import { backend } from '../backend'
import type { Connection } from '../bindings/Connection'
import { clockTime } from '../format'

const state = ref<Connection | null>(null)
/** Bumped each time the API comes back, for views to load again. */
const reconnects = ref(0)

function adopt(next: Connection) {
  const was = state.value
  if (was && !was.online && next.online && was.profile_id === next.profile_id) reconnects.value++
  state.value = next
}

/** Reads the state once and follows its changes; resolves to the function that stops. */
export async function followConnection(): Promise<UnlistenFn> {
  const stop = await listen<Connection>('connection', (e) => adopt(e.payload))
  try {
    adopt(await backend.connectionState())
  } catch {
    // The events still come; until then nothing is said to be offline.
  }
  return stop
}

const offline = computed(() => !!state.value && !state.value.online)

/** "Offline — showing what was synced at 14:10" (or that nothing was synced yet). */
const headline = computed(() => {
  const c = state.value
  if (!c || c.online) return ''
  return c.synced_at
    ? `Offline — showing what was synced at ${clockTime(c.synced_at)}`
    : 'Offline — nothing was synced yet'
})

/** Why an action is disabled offline ('' online): the cause, and that nothing is queued. */
const whyOffline = computed(() => {
  const c = state.value
  if (!c || c.online) return ''
  return `Offline: ${c.cause ?? 'the control plane cannot be reached'}. Changes need the control plane; nothing is queued.`
})

export function useConnection() {
  return { state, offline, headline, whyOffline, reconnects, adopt }
}
