// Creating or editing an entity of any kind: the values typed, the entities a reference field can
// point at, local checks first, then the API's field errors on their fields.
import { computed, ref } from 'vue'
import { asConsoleError, backend, type ConsoleError } from '../backend'
import { FORMS, initialValues, toBody, type FormValues } from '../entityForms'
import { entityLabel, type EntityKind } from '../vocabulary'
import { useAccess } from './useAccess'

type Entity = Record<string, unknown>

/**
 * An API error split between the form's fields (a plugin's `config.minute` goes on
 * Configuration, said with its path) and the rest, said above the form.
 */
export function splitFieldErrors(
  err: ConsoleError,
  known: Set<string>,
): { fields: Record<string, string>; form: string } {
  const fields: Record<string, string> = {}
  const other: string[] = []
  for (const [k, reason] of Object.entries(err.fields ?? {})) {
    const v = String(reason)
    const top = k.split('.')[0]
    if (known.has(top)) {
      const said = top === k ? v : `${k}: ${v}`
      fields[top] = fields[top] ? `${fields[top]}; ${v}` : said
    } else other.push(`${k}: ${v}`)
  }
  const form = Object.keys(fields).length && !other.length ? '' : [err.message, ...other].join(' ')
  return { fields, form }
}

export function useEntityForm(groupId: string, kind: () => EntityKind) {
  const fields = computed(() => FORMS[kind()] ?? [])
  const values = ref<FormValues>({})
  const errors = ref<Record<string, string>>({})
  const formError = ref('')
  const saving = ref(false)
  /** Entities a reference field can point at, by kind, loaded when the form opens. */
  const choices = ref<Record<string, { label: string; value: string }[]>>({})

  /** A fresh form for `entity` (or a new one), with the choices of its reference fields. */
  async function open(entity: Entity | null) {
    values.value = initialValues(kind(), entity ?? undefined)
    errors.value = {}
    formError.value = ''
    for (const f of fields.value) {
      if (f.type !== 'reference' || !f.ref) continue
      try {
        const list = await backend.groupEntities(groupId, f.ref)
        const ref = f.ref
        choices.value[ref] = list.rows.map((r) => ({
          label: entityLabel(ref, r),
          value: String(r.id),
        }))
      } catch {
        choices.value[f.ref] = []
      }
    }
  }

  /** Saves what was typed; the saved entity, or null when a check or the API refused it. */
  async function submit(entity: Entity | null): Promise<Entity | null> {
    const { body, errors: local } = toBody(kind(), values.value)
    errors.value = local
    formError.value = ''
    if (Object.keys(local).length) return null
    saving.value = true
    try {
      const id = entity?.id
      return id
        ? await backend.updateEntity(groupId, kind(), String(id), body)
        : await backend.createEntity(groupId, kind(), body)
    } catch (e) {
      const err = asConsoleError(e)
      useAccess().afterError(err)
      // What was typed is kept.
      const split = splitFieldErrors(err, new Set(fields.value.map((f) => f.key)))
      errors.value = split.fields
      formError.value = split.form
      return null
    } finally {
      saving.value = false
    }
  }

  return { fields, values, errors, formError, saving, choices, open, submit }
}
