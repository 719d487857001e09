// The plugin catalog as Konnect shows it: every plugin the group accepts, by group, with its
// display name and one-line description (Kong's @kong-ui-public/entities-plugins-metadata), and
// the scopes a plugin may take: what its schema allows, narrowed by what Kong's metadata says.
import { PLUGIN_GROUP_AND_SCOPE_MAP, PluginGroup } from '@kong-ui-public/entities-plugins-metadata'
import { fieldsOf, type KongSchemaBody } from './schema/kongSchema'
import { SCOPED, type Scope } from './pluginScopes'

export interface CatalogPlugin {
  name: string
  title: string
  description: string
  group: string
}

export interface CatalogGroup {
  group: string
  plugins: CatalogPlugin[]
}

interface PluginMeta {
  name: string
  description: string
  group: string
  scope: string[]
}

const METADATA = PLUGIN_GROUP_AND_SCOPE_MAP as unknown as Record<string, PluginMeta | undefined>

/** Konnect's group order; a plugin Kong's metadata does not know goes under "Other". */
export const GROUP_ORDER: string[] = [
  PluginGroup.AUTHENTICATION,
  PluginGroup.SECURITY,
  PluginGroup.TRAFFIC_CONTROL,
  PluginGroup.TRANSFORMATIONS,
  PluginGroup.SERVERLESS,
  PluginGroup.ANALYTICS_AND_MONITORING,
  PluginGroup.LOGGING,
  PluginGroup.AI,
]
const OTHER = 'Other'

/** A plugin as the catalog shows it. */
export function catalogPlugin(name: string): CatalogPlugin {
  const meta = METADATA[name]
  return {
    name,
    title: meta?.name ?? name,
    description: meta?.description ?? '',
    group: meta?.group ?? OTHER,
  }
}

/** The available plugins matching `query`, by group in Konnect's order, by title within one. */
export function groupCatalog(names: string[], query = ''): CatalogGroup[] {
  const plugins = names.map(catalogPlugin).filter((p) => matches(p, query))
  const groups = [...new Set(plugins.map((p) => p.group))].sort(
    (a, b) => rank(a) - rank(b) || a.localeCompare(b),
  )
  return groups.map((group) => ({
    group,
    plugins: plugins
      .filter((p) => p.group === group)
      .sort((a, b) => a.title.localeCompare(b.title)),
  }))
}

/** Whether each word of the query is in the plugin's name, title or description. Substrings,
 * not fuzzy letters: long descriptions would match nearly any short query letter by letter. */
function matches(p: CatalogPlugin, query: string): boolean {
  const hay = `${p.name} ${p.title} ${p.description}`.toLowerCase()
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((w) => hay.includes(w))
}

function rank(group: string): number {
  const i = GROUP_ORDER.indexOf(group)
  return i < 0 ? GROUP_ORDER.length + (group === OTHER ? 1 : 0) : i
}

/**
 * The scopes a plugin allows. Its schema rules a scope out with a top-level foreign field that
 * must be null (`consumer = typedefs.no_consumer` on auth plugins: `eq: null`); Kong's metadata
 * says which scopes the plugin supports at all (consumer groups only for some, acme only global).
 */
export function allowedScopes(name: string, schema: KongSchemaBody): Scope[] {
  const forbidden = new Set(
    fieldsOf(schema.fields)
      .filter(([, def]) => 'eq' in def && def.eq === null)
      .map(([field]) => field),
  )
  const meta = METADATA[name]?.scope
  const all: Scope[] = ['global', ...SCOPED]
  return all.filter((s) => !forbidden.has(s) && (!meta || meta.includes(s)))
}
