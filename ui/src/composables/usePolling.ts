// Keeps a view current while it is on screen: runs `tick` every `ms` from mount to unmount, and
// `now` moves with it so relative times ("2 minutes ago") stay true.
import { onMounted, onUnmounted, ref } from 'vue'

export function usePolling(tick: () => unknown, ms: number) {
  const now = ref(new Date())
  let timer: ReturnType<typeof setInterval> | undefined
  onMounted(() => {
    timer = setInterval(() => {
      now.value = new Date()
      tick()
    }, ms)
  })
  onUnmounted(() => clearInterval(timer))
  return { now }
}
