// A runtime instance's compatibility in Konnect's words: the badge for each state, and which of
// its issues are a configuration the node refused (as opposed to something it lacks).
import type { CompatibilityIssue } from './bindings/CompatibilityIssue'
import type { CompatibilityState } from './bindings/CompatibilityState'
import type { InstanceCompatibility } from './bindings/InstanceCompatibility'
import type { RuntimeInstanceRow } from './bindings/RuntimeInstanceRow'
import { counted } from './format'

export type BadgeAppearance = 'success' | 'warning' | 'danger' | 'neutral'

export interface CompatibilityBadge {
  label: string
  appearance: BadgeAppearance
  /** What the state means, for the badge's tooltip. */
  meaning: string
}

/** Konnect's labels for a data plane node's compatibility state. */
export const COMPATIBILITY_BADGES: Record<CompatibilityState, CompatibilityBadge> = {
  compatible: {
    label: 'Compatible',
    appearance: 'success',
    meaning: "Runs all of its group's configuration.",
  },
  compatible_with_limitations: {
    label: 'Compatible with limitations',
    appearance: 'warning',
    meaning: "Runs its group's configuration, with limitations listed on its page.",
  },
  incompatible: {
    label: 'Incompatible',
    appearance: 'danger',
    meaning: "Cannot run all of its group's configuration: see its page for what to do.",
  },
  unknown: {
    label: 'Unknown',
    appearance: 'neutral',
    meaning: 'Not known yet: the control plane has not sent it a configuration since it started.',
  },
}

export function compatibilityBadge(state: CompatibilityState): CompatibilityBadge {
  return COMPATIBILITY_BADGES[state] ?? COMPATIBILITY_BADGES.unknown
}

/** The codes of issues the node raised itself by refusing a configuration (it keeps the last). */
export const REFUSAL_CODES = ['configuration_refused', 'configuration_unreadable']

/** The configuration the node refused, if any: the first refusal issue. */
export function refusalOf(row: RuntimeInstanceRow): CompatibilityIssue | undefined {
  return row.compatibility.issues.find((i) => REFUSAL_CODES.includes(i.code))
}

/** "1 issue", "2 issues"; empty without any. */
export function issueCount(compatibility: InstanceCompatibility): string {
  const n = compatibility.issues.length
  return n ? counted(n, 'issue') : ''
}
