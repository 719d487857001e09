// A runtime instance's sync cell: the sync badge, and a refused configuration with its reason
// (a plugin it lacks is its compatibility's business).
import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import InstanceSyncStatus from '../components/InstanceSyncStatus.vue'
import type { RuntimeInstanceRow } from '../backend'

const row = (over: Partial<RuntimeInstanceRow>): RuntimeInstanceRow => ({
  id: 'n1',
  hostname: 'dp-1',
  ip: '10.0.0.1',
  last_seen: '2026-11-30T12:00:00Z',
  version: '3.10.0.0',
  config_hash: 'a'.repeat(32),
  in_sync: true,
  connected: true,
  config_error: null,
  compatibility: { state: 'compatible', issues: [] },
  ...over,
})

describe('InstanceSyncStatus', () => {
  it('shows in sync and no error for a healthy node', () => {
    const w = mount(InstanceSyncStatus, {
      props: { instance: row({}), expectedHash: 'a'.repeat(32) },
    })
    expect(w.get('[data-testid="sync-status"]').text()).toBe('In sync')
    expect(w.find('[data-testid="config-error"]').exists()).toBe(false)
  })

  it('shows why a node refused its configuration and that it serves the last good one', () => {
    const reason = "route 1: regex parse error: invalid repetition count(s) in '~/a{2,1}'"
    const refused = { code: 'configuration_refused', severity: 'error', description: reason }
    const w = mount(InstanceSyncStatus, {
      props: {
        instance: row({
          in_sync: false,
          config_error: reason,
          compatibility: { state: 'incompatible', issues: [refused] },
        }),
        expectedHash: 'b'.repeat(32),
      },
    })
    expect(w.get('[data-testid="sync-status"]').text()).toBe('Out of sync')
    const error = w.get('[data-testid="config-error"]')
    expect(error.text()).toContain('Configuration refused')
    expect(error.text()).toContain(reason)
    expect(error.text()).toContain('Still serving its last good configuration.')
  })

  it('leaves a plugin the node lacks to its compatibility: nothing was refused', () => {
    const lacking = {
      code: 'plugin_not_available',
      severity: 'error',
      description: "Plugin 'cors' is not available on this data plane node.",
    }
    const w = mount(InstanceSyncStatus, {
      props: {
        instance: row({
          in_sync: false,
          config_error: lacking.description,
          compatibility: { state: 'incompatible', issues: [lacking] },
        }),
      },
    })
    expect(w.get('[data-testid="sync-status"]').text()).toBe('Out of sync')
    expect(w.find('[data-testid="config-error"]').exists()).toBe(false)
  })
})
