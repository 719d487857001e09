// A runtime instance's compatibility badge: Konnect's label and tone for each state, the issue
// count beside it, and which issues are a refused configuration.
import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import CompatibilityBadge from '../components/CompatibilityBadge.vue'
import { compatibilityBadge, issueCount, refusalOf } from '../compatibility'
import type { CompatibilityState } from '../bindings/CompatibilityState'
import type { RuntimeInstanceRow } from '../backend'

const lacking = {
  code: 'plugin_not_available',
  severity: 'error',
  description: "Plugin 'cors' is not available on this data plane node.",
}
const refused = { code: 'configuration_refused', severity: 'error', description: 'bad route' }

describe('compatibilityBadge', () => {
  it('labels each state as Konnect does, in a tone that says how bad it is', () => {
    const states: CompatibilityState[] = [
      'compatible',
      'compatible_with_limitations',
      'incompatible',
      'unknown',
    ]
    expect(
      states.map((s) => [compatibilityBadge(s).label, compatibilityBadge(s).appearance]),
    ).toEqual([
      ['Compatible', 'success'],
      ['Compatible with limitations', 'warning'],
      ['Incompatible', 'danger'],
      ['Unknown', 'neutral'],
    ])
  })

  it('reads a state it does not know as unknown', () => {
    expect(compatibilityBadge('later' as CompatibilityState).label).toBe('Unknown')
  })
})

describe('issues', () => {
  it('counts them', () => {
    expect(issueCount({ state: 'compatible', issues: [] })).toBe('')
    expect(issueCount({ state: 'incompatible', issues: [lacking] })).toBe('1 issue')
    expect(issueCount({ state: 'incompatible', issues: [lacking, refused] })).toBe('2 issues')
  })

  it('finds a refused configuration among them, not a plugin the node lacks', () => {
    const row = (issues: (typeof lacking)[]) =>
      ({ compatibility: { state: 'incompatible', issues } }) as unknown as RuntimeInstanceRow
    expect(refusalOf(row([lacking]))).toBeUndefined()
    expect(refusalOf(row([lacking, refused]))?.description).toBe('bad route')
  })
})

describe('CompatibilityBadge', () => {
  it('shows the label, the count when asked, and the issues on hover', () => {
    const w = mount(CompatibilityBadge, {
      props: { compatibility: { state: 'incompatible', issues: [lacking] }, showCount: true },
    })
    const badge = w.get('[data-testid="compatibility-status"]')
    expect(badge.text()).toBe('Incompatible')
    expect(badge.attributes('title')).toContain("Plugin 'cors' is not available")
    expect(w.get('[data-testid="compatibility-issues"]').text()).toBe('1 issue')
  })

  it('shows no count for a compatible node', () => {
    const w = mount(CompatibilityBadge, {
      props: { compatibility: { state: 'compatible', issues: [] }, showCount: true },
    })
    expect(w.get('[data-testid="compatibility-status"]').text()).toBe('Compatible')
    expect(w.find('[data-testid="compatibility-issues"]').exists()).toBe(false)
  })
})
