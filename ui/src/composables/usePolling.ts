// Keeps a view current while it is on screen: runs `tick` every `ms` from mount to unmount, and
// `now` moves with it so relative times ("2 minutes ago") stay true. `ms` may be read anew each
// time (the background refresh setting); 0 pauses the ticks but not the clock.
import { onMounted, onUnmounted, ref, watch } from 'vue'
import { useConnection } from './useConnection'

const CLOCK_MS = 1000

export function usePolling(tick: () => unknown, ms: number | (() => number)) {
  const now = ref(new Date())
  const every = typeof ms === 'function' ? ms : () => ms
  let timer: ReturnType<typeof setInterval> | undefined
  let last = Date.now()
  onMounted(() => {
    last = Date.now()
    timer = setInterval(
      () => {
        now.value = new Date()
        const interval = every()
        if (interval > 0 && Date.now() - last >= interval) {
          last = Date.now()
          tick()
        }
      },
      Math.min(CLOCK_MS, every() || CLOCK_MS),
    )
  })
  onUnmounted(() => clearInterval(timer))
  // Back online: what is on screen is read again at once, not at the next tick.
  watch(useConnection().reconnects, () => {
    last = Date.now()
    tick()
  })
  return { now }
}
