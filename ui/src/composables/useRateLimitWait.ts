// What a progress bar (a sync's, an import's) says about Konnect's rate limit: the wait a 429
// asked for, counted down second by second, or that fewer requests are in flight than usual.
import { computed, onUnmounted, ref, watch } from 'vue'
import type { RateLimitStatus } from '../bindings/RateLimitStatus'
import { counted } from '../format'

/** How often the countdown looks at the clock: often enough to turn at each whole second. */
const TICK_MS = 250

/** The words for `status` at `now` (ms since the epoch); empty while requests flow at full
 * speed. */
export function rateLimitText(status: RateLimitStatus | null | undefined, now: number): string {
  if (!status) return ''
  const until = status.rate_limited_until ? Date.parse(status.rate_limited_until) : NaN
  const seconds = Math.ceil((until - now) / 1000)
  if (seconds > 0) return `Waiting ${seconds} s on Konnect's rate limit`
  if (status.concurrency > 0 && status.concurrency < status.max_concurrency) {
    return `Slowed by Konnect's rate limit: ${counted(status.concurrency, 'request')} at a time`
  }
  return ''
}

/** `rateLimitText` of the latest status, kept current by a clock that runs only during a
 * wait. */
export function useRateLimitWait(status: () => RateLimitStatus | null | undefined) {
  const now = ref(Date.now())
  let timer: ReturnType<typeof setInterval> | undefined
  const stop = () => {
    clearInterval(timer)
    timer = undefined
  }
  const waitEnds = () => Date.parse(status()?.rate_limited_until ?? '') || 0
  watch(
    waitEnds,
    (ends) => {
      now.value = Date.now()
      if (ends <= now.value) return stop()
      timer ??= setInterval(() => {
        now.value = Date.now()
        if (waitEnds() <= now.value) stop()
      }, TICK_MS)
    },
    { immediate: true },
  )
  onUnmounted(stop)
  return computed(() => rateLimitText(status(), now.value))
}
