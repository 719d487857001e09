// Adding or editing a plugin as Konnect does: pick it from the catalog, then its scope, its
// configuration (rendered from the plugin's Kong schema) and the general fields every plugin has.
import { computed, ref, watch } from 'vue'
import { asConsoleError, backend } from '../backend'
import { allowedScopes, groupCatalog } from '../pluginCatalog'
import { SCOPED, type Scope } from '../pluginScopes'
import { asSchema, fieldsOf, type FieldList, type KongSchemaBody } from '../schema/kongSchema'
import { kindName } from '../vocabulary'
import { useAccess } from './useAccess'
import { scrollToFirstError, useSchemaForm } from './useSchemaForm'

type Entity = Record<string, unknown>

/** What Kong's plugins entity (kong/db/schema/entities/plugins.lua) has beside the plugin's own
 * schema: its scope and its general fields. `protocols` and `config` come from the plugin. */
const PLUGIN_ENTITY_FIELDS: FieldList = [
  { service: { type: 'foreign', reference: 'services' } },
  { route: { type: 'foreign', reference: 'routes' } },
  { consumer: { type: 'foreign', reference: 'consumers' } },
  { consumer_group: { type: 'foreign', reference: 'consumer_groups' } },
  { instance_name: { type: 'string', description: 'A name that tells this instance apart.' } },
  { enabled: { type: 'boolean', required: true, default: true } },
  { tags: { type: 'set', elements: { type: 'string' } } },
]

/** The form's fields: the entity's, then the plugin's own (its scope fields are the entity's). */
export function pluginFormFields(plugin: KongSchemaBody): FieldList {
  const own = plugin.fields.filter((f) => !SCOPED.some((s) => s in f))
  return [...PLUGIN_ENTITY_FIELDS, ...own]
}

/** The schema a plugin body is checked against: the plugin's fields win over the entity's. */
function checkedSchema(plugin: KongSchemaBody): KongSchemaBody {
  const names = new Set(fieldsOf(plugin.fields).map(([n]) => n))
  const general = PLUGIN_ENTITY_FIELDS.filter((f) => !Object.keys(f).some((n) => names.has(n)))
  return { fields: [...general, ...plugin.fields], entity_checks: plugin.entity_checks }
}

export function usePluginForm(groupId: string) {
  const form = useSchemaForm(groupId)
  const step = ref<'catalog' | 'form'>('catalog')
  const names = ref<string[]>([])
  const query = ref('')
  const catalog = computed(() => groupCatalog(names.value, query.value))
  const plugin = ref('')
  const schema = ref<KongSchemaBody>({ fields: [] })
  const scopes = ref<Scope[]>(['global'])
  const scope = ref<Scope>('global')
  const note = ref('')
  const formError = ref('')
  const loading = ref(false)
  const saving = ref(false)

  const configNodes = computed(
    () => form.nodes.value.find((n) => n.path === 'config')?.children ?? [],
  )
  const scopeNode = computed(() => form.nodes.value.find((n) => n.path === scope.value) ?? null)
  const generalNodes = computed(() =>
    form.nodes.value.filter((n) => n.path !== 'config' && !(SCOPED as string[]).includes(n.path)),
  )

  // One scope at a time: choosing another clears the entity picked for the one before.
  watch(scope, (chosen) => {
    for (const s of SCOPED) if (s !== chosen) form.values.value[s] = ''
  })

  /** The scope a new plugin starts with (`{service: id}` from a service's page). */
  let preset: Record<string, string> = {}

  /** Opens on the catalog for a new plugin, or on the form for `entity`. */
  async function open(entity: Entity | null, scopedTo: Record<string, string> = {}) {
    formError.value = ''
    note.value = ''
    query.value = ''
    preset = scopedTo
    form.disabled.value = false
    if (entity) return choose(String(entity.name), entity)
    step.value = 'catalog'
    try {
      const got = await backend.availablePlugins(groupId)
      names.value = got.names
      if (got.offline_reason) note.value = `Plugins as last seen. ${got.offline_reason}`
    } catch (e) {
      names.value = []
      note.value = `The plugins this group accepts could not be read: ${asConsoleError(e).message}`
    }
  }

  /** The form for plugin `name`, from its schema; `entity` when editing one. */
  async function choose(name: string, entity: Entity | null = null) {
    plugin.value = name
    step.value = 'form'
    loading.value = true
    formError.value = ''
    try {
      const got = await backend.pluginSchema(groupId, name)
      schema.value = asSchema(got.schema)
      if (got.offline_reason) {
        note.value = `Read-only, from the cached schema. ${got.offline_reason}`
        form.disabled.value = true
      }
      scopes.value = allowedScopes(name, schema.value)
      form.reset(pluginFormFields(schema.value), entity)
      if (!entity)
        for (const [field, id] of Object.entries(preset))
          if (scopes.value.includes(field as Scope)) form.values.value[field] = id
      scope.value = SCOPED.find((s) => form.values.value[s]) ?? 'global'
    } catch (e) {
      schema.value = { fields: [] }
      form.reset([], null)
      formError.value = `The ${name} plugin's schema could not be read: ${asConsoleError(e).message}`
    } finally {
      loading.value = false
    }
  }

  /** A scope chosen but no entity picked for it: said on the picker. */
  function scopeError(): boolean {
    if (scope.value === 'global' || form.values.value[scope.value]) return false
    form.errors.value = { [scope.value]: `Choose the ${kindName(scopeKind(scope.value))}.` }
    void scrollToFirstError()
    return true
  }

  /** Saves the plugin; the saved entity, or null when a check or the API refused it. */
  async function submit(entity: Entity | null): Promise<Entity | null> {
    formError.value = ''
    if (!schema.value.fields.length) return null
    const body = form.collect(checkedSchema(schema.value), entity, { name: plugin.value })
    if (!body || scopeError()) return null
    // Every scope but the chosen one is sent as null, so an edit to Global takes the old away.
    for (const s of SCOPED) if (s !== scope.value) body[s] = null
    saving.value = true
    try {
      const id = entity?.id
      return id
        ? await backend.updateEntity(groupId, 'plugins', String(id), body)
        : await backend.createEntity(groupId, 'plugins', body)
    } catch (e) {
      const { message, err } = form.showApiError(e)
      useAccess().afterError(err)
      formError.value = message
      return null
    } finally {
      saving.value = false
    }
  }

  return {
    ...form,
    step,
    query,
    catalog,
    plugin,
    scopes,
    scope,
    note,
    formError,
    loading,
    saving,
    configNodes,
    scopeNode,
    generalNodes,
    open,
    choose,
    submit,
  }
}

/** The kind a scope picks from (`consumer_group` → `consumer_groups`). */
const scopeKind = (s: Scope) => (s === 'consumer_group' ? 'consumer_groups' : `${s}s`)
