// What a progress bar says about Konnect's rate limit: a wait counted down by the second, a
// slowed pace, or nothing; the clock runs only while a wait does.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { nextTick, ref } from 'vue'
import { mount } from '@vue/test-utils'
import RateLimitWait from '../components/RateLimitWait.vue'
import type { RateLimitStatus } from '../bindings/RateLimitStatus'
import { rateLimitText, useRateLimitWait } from '../composables/useRateLimitWait'
import { withSetup } from './withSetup'

const NOW = Date.parse('2026-11-30T12:00:00.000Z')
const status = (over: Partial<RateLimitStatus> = {}): RateLimitStatus => ({
  concurrency: 8,
  max_concurrency: 8,
  rate_limited_until: null,
  rate_limited: 0,
  ...over,
})

describe('rateLimitText', () => {
  it.each([
    ['no progress yet', null, ''],
    ['requests flow at full speed', status(), ''],
    [
      'a wait of 12 s',
      status({ concurrency: 4, rate_limited_until: '2026-11-30T12:00:12.000Z' }),
      "Waiting 12 s on Konnect's rate limit",
    ],
    [
      'part of a second, shown as a whole one',
      status({ rate_limited_until: '2026-11-30T12:00:00.200Z' }),
      "Waiting 1 s on Konnect's rate limit",
    ],
    [
      'a wait already over, at a lower pace',
      status({ concurrency: 2, rate_limited_until: '2026-11-30T11:59:59.000Z' }),
      "Slowed by Konnect's rate limit: 2 requests at a time",
    ],
    [
      'one at a time',
      status({ concurrency: 1 }),
      "Slowed by Konnect's rate limit: 1 request at a time",
    ],
  ])('%s', (_, s, text) => {
    expect(rateLimitText(s, NOW)).toBe(text)
  })
})

describe('useRateLimitWait', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    vi.setSystemTime(NOW)
  })
  afterEach(() => vi.useRealTimers())

  it('counts a wait down to the second, then stops its clock', async () => {
    const current = ref<RateLimitStatus | null>(status())
    const { result, unmount } = withSetup(() => useRateLimitWait(() => current.value))
    expect(result.value).toBe('')
    current.value = status({ concurrency: 4, rate_limited_until: '2026-11-30T12:00:03.000Z' })
    await nextTick()
    expect(result.value).toBe("Waiting 3 s on Konnect's rate limit")
    vi.advanceTimersByTime(1000)
    expect(result.value).toBe("Waiting 2 s on Konnect's rate limit")
    vi.advanceTimersByTime(1500)
    expect(result.value).toBe("Waiting 1 s on Konnect's rate limit")
    vi.advanceTimersByTime(600)
    expect(result.value).toBe("Slowed by Konnect's rate limit: 4 requests at a time")
    expect(vi.getTimerCount()).toBe(0)
    unmount()
  })

  it('stops its clock when the page goes away mid-wait', () => {
    const waiting = status({ rate_limited_until: '2026-11-30T12:01:00.000Z' })
    const { unmount } = withSetup(() => useRateLimitWait(() => waiting))
    expect(vi.getTimerCount()).toBe(1)
    unmount()
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('RateLimitWait', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    vi.setSystemTime(NOW)
  })
  afterEach(() => vi.useRealTimers())

  it('says the wait beside the bar, and nothing at full speed', async () => {
    const w = mount(RateLimitWait, {
      props: { status: status({ rate_limited_until: '2026-11-30T12:00:12.000Z' }) },
    })
    expect(w.get('[data-testid="rate-limit-wait"]').text()).toBe(
      "Waiting 12 s on Konnect's rate limit",
    )
    await w.setProps({ status: status() })
    expect(w.find('[data-testid="rate-limit-wait"]').exists()).toBe(false)
    w.unmount()
  })
})
