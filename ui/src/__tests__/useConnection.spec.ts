// The one offline state: what the banner and every disabled action say, and a reconnect that
// makes views load again.
import { describe, expect, it, vi } from 'vitest'
import type { Connection } from '../bindings/Connection'

vi.mock('@tauri-apps/api/event', () => ({ listen: vi.fn(async () => () => {}) }))
const { backend } = vi.hoisted(() => ({ backend: { connectionState: vi.fn() } }))
vi.mock('../backend', () => ({ backend }))

import { followConnection, useConnection } from '../composables/useConnection'

const online: Connection = {
  profile_id: 'acme',
  profile_name: 'Acme',
  online: true,
  offline_since: null,
  cause: null,
  details: null,
  remedy: null,
  needs_token: false,
  synced_at: '2026-11-30T14:10:00Z',
}
const offline: Connection = {
  ...online,
  online: false,
  offline_since: '2026-11-30T14:20:00Z',
  cause: 'too many requests (429); Konnect asks to wait 30 s',
  details: 'GET http://eu.api.konghq.com/v2/control-planes: 429',
  remedy: 'The app goes online again once the wait is over.',
}

describe('useConnection', () => {
  it('says offline the same way everywhere, and counts the returns', async () => {
    backend.connectionState.mockResolvedValue(online)
    await followConnection()
    const c = useConnection()
    expect(c.offline.value).toBe(false)
    expect(c.whyOffline.value).toBe('')
    c.adopt(offline)
    expect(c.offline.value).toBe(true)
    expect(c.headline.value).toMatch(/^Offline — showing what was synced at .*\d\d/)
    expect(c.whyOffline.value).toBe(
      'Offline: too many requests (429); Konnect asks to wait 30 s. Changes need the control ' +
        'plane; nothing is queued.',
    )
    expect(c.whyOffline.value).not.toContain('http')
    const before = c.reconnects.value
    c.adopt(online)
    expect(c.reconnects.value).toBe(before + 1)
    // Another profile coming up online is a switch, not a return.
    c.adopt(offline)
    c.adopt({ ...online, profile_id: 'local' })
    expect(c.reconnects.value).toBe(before + 1)
    c.adopt({ ...offline, synced_at: null })
    expect(c.headline.value).toBe('Offline — nothing was synced yet')
  })
})
