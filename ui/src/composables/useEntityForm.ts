// Creating or editing an entity of any kind, from the kind's Kong schema as the group serves it:
// local checks first, then the API's field errors on their fields, nested ones included.
import { ref } from 'vue'
import { asConsoleError, backend } from '../backend'
import { asSchema, type FieldList, type KongSchemaBody } from '../schema/kongSchema'
import type { EntityKind } from '../vocabulary'
import { useAccess } from './useAccess'
import { useSchemaForm } from './useSchemaForm'

export { splitFieldErrors } from '../schema/fieldErrors'

type Entity = Record<string, unknown>

/** Without a schema (a Konnect profile never fetched one), the entity is edited as JSON. */
const AS_JSON: FieldList = [{ json: { type: 'json', required: true } }]

export function useEntityForm(groupId: string, kind: () => EntityKind) {
  const form = useSchemaForm(groupId)
  const schema = ref<KongSchemaBody>({ fields: [] })
  const formError = ref('')
  /** Why the form is what it is: a cached schema (offline) or none at all (JSON instead). */
  const schemaNote = ref('')
  const loading = ref(false)
  const saving = ref(false)
  const asJson = ref(false)

  /**
   * A fresh form for `entity` (or a new one), from the kind's schema; `preset` picks the entities
   * a new one belongs to (`{consumer: id}` for a consumer's credential). Offline it opens from the
   * cached schema read-only: nothing could be saved.
   */
  async function open(entity: Entity | null, preset: Record<string, string> = {}) {
    formError.value = ''
    schemaNote.value = ''
    loading.value = true
    form.disabled.value = false
    try {
      const got = await backend.entitySchema(groupId, kind())
      schema.value = asSchema(got.schema)
      asJson.value = false
      if (got.offline_reason) {
        schemaNote.value = `Read-only, from the cached schema. ${got.offline_reason}`
        form.disabled.value = true
      }
      form.reset(schema.value.fields, entity)
      if (!entity) for (const [field, id] of Object.entries(preset)) form.values.value[field] = id
    } catch (e) {
      schema.value = { fields: AS_JSON }
      asJson.value = true
      // Offline with no cached schema: shown, but nothing could be saved.
      form.disabled.value = asConsoleError(e).code === 'offline'
      schemaNote.value = `No schema for this kind (${asConsoleError(e).message}): edit it as JSON.`
      const shown = entity ? withoutServerFields(entity) : {}
      form.reset(AS_JSON, { json: shown })
    } finally {
      loading.value = false
    }
  }

  /** Saves what was typed; the saved entity, or null when a check or the API refused it. */
  async function submit(entity: Entity | null): Promise<Entity | null> {
    formError.value = ''
    const collected = form.collect(schema.value, entity)
    if (!collected) return null
    const body = asJson.value ? (collected.json as Entity) : collected
    saving.value = true
    try {
      const id = entity?.id
      return id
        ? await backend.updateEntity(groupId, kind(), String(id), body)
        : await backend.createEntity(groupId, kind(), body)
    } catch (e) {
      // What was typed is kept.
      const { message, err } = form.showApiError(e)
      useAccess().afterError(err)
      formError.value = message
      return null
    } finally {
      saving.value = false
    }
  }

  return { ...form, schema, formError, schemaNote, loading, saving, open, submit }
}

/** What the server owns (id, timestamps) is not for editing. */
function withoutServerFields(entity: Entity): Entity {
  const owned = new Set(['id', 'created_at', 'updated_at'])
  return Object.fromEntries(Object.entries(entity).filter(([k]) => !owned.has(k)))
}
