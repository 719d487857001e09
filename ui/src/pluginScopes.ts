// Where a plugin applies, and what the app calls each place: apart from the plugin catalog (Kong's
// metadata of every plugin) so that lists can name a scope without loading the catalog at launch.
import { capitalized } from './format'
import { kindName } from './vocabulary'

/** A plugin's scope: the whole group, or one entity of a kind. */
export type Scope = 'global' | 'service' | 'route' | 'consumer' | 'consumer_group'
export const SCOPED: Exclude<Scope, 'global'>[] = ['service', 'route', 'consumer', 'consumer_group']

/** A scope as the plugin form's picker and the plugins list name it: "Global", "Gateway service". */
export function scopeName(s: Scope): string {
  if (s === 'global') return 'Global'
  return capitalized(kindName(s === 'consumer_group' ? 'consumer_groups' : `${s}s`))
}
