// The state of one schema-rendered form: its fields, the values typed, the errors on them, the
// entities its foreign-key pickers offer. Shared with the nested field components by injection,
// so a record inside a record binds to the same values without passing them down by hand.
import { inject, nextTick, provide, ref, type InjectionKey, type Ref } from 'vue'
import { asConsoleError, backend, type ConsoleError } from '../backend'
import {
  formTree,
  initialValues,
  knownPaths,
  toBody,
  walk,
  type FormNode,
  type FormValue,
  type FormValues,
} from '../schema/formModel'
import type { FieldList, KongSchemaBody } from '../schema/kongSchema'
import { pathLabel } from '../schema/kongSchema'
import { checkBody } from '../schema/schemaChecks'
import { sayError, splitFieldErrors } from '../schema/fieldErrors'
import { asEntityKind, entityLabel } from '../vocabulary'

export interface Choice {
  label: string
  value: string
}

export interface SchemaFormContext {
  values: Ref<FormValues>
  errors: Ref<Record<string, string>>
  /** Foreign-key choices by referenced kind (`services`). */
  choices: Ref<Record<string, Choice[]>>
  disabled: Ref<boolean>
  set: (path: string, v: FormValue) => void
}

const KEY: InjectionKey<SchemaFormContext> = Symbol('schema-form')

/** Gives the fields below a context of their own: one record of a list of records. */
export function provideSchemaFormContext(ctx: SchemaFormContext) {
  provide(KEY, ctx)
}

export function useSchemaFormContext(): SchemaFormContext {
  const ctx = inject(KEY)
  if (!ctx) throw new Error('a schema field outside a schema form')
  return ctx
}

/** Kong's messages by path, said as sentences naming the field. */
export function sayErrors(errors: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(errors).map(([p, m]) => [p, sayError(pathLabel(p), m)]))
}

/** Scrolls the first field with an error into view, once the DOM shows it (Advanced opened). */
export async function scrollToFirstError(root: ParentNode = document) {
  // Two ticks: the errors render, then a folded "Advanced" they sit in opens.
  await nextTick()
  await nextTick()
  const el = root.querySelector('.schema-field.has-error')
  el?.scrollIntoView?.({ block: 'center', behavior: 'smooth' })
}

export function useSchemaForm(groupId: string) {
  const nodes = ref<FormNode[]>([])
  const values = ref<FormValues>({})
  const errors = ref<Record<string, string>>({})
  const choices = ref<Record<string, Choice[]>>({})
  const disabled = ref(false)
  const ctx: SchemaFormContext = {
    values,
    errors,
    choices,
    disabled,
    set: (path, v) => {
      values.value[path] = v
      // What was wrong is being changed: the message goes until the next check.
      if (errors.value[path]) delete errors.value[path]
    },
  }
  provide(KEY, ctx)

  /** Shows `fields` (under `prefix`) with the entity's values, or the defaults for a new one. */
  function reset(fields: FieldList, entity: Record<string, unknown> | null, omit: string[] = []) {
    nodes.value = formTree(fields, '', omit)
    values.value = initialValues(nodes.value, entity)
    errors.value = {}
    void loadChoices()
  }

  /** The group's entities each foreign-key picker offers, by the kind it refers to. */
  async function loadChoices() {
    const kinds = new Set(
      walk(nodes.value)
        .filter((n) => n.control === 'foreign')
        .map((n) => asEntityKind(n.def.reference)),
    )
    for (const kind of kinds) {
      if (!kind || choices.value[kind]) continue
      try {
        const list = await backend.groupEntities(groupId, kind)
        choices.value[kind] = list.rows.map((r) => ({
          label: entityLabel(kind, r),
          value: String(r.id),
        }))
      } catch {
        choices.value[kind] = []
      }
    }
  }

  /**
   * The body to send, or null when a check failed: the values read, then Kong's validators and
   * entity checks from `schema` on the whole body (`extra` adds what the form shows elsewhere).
   */
  function collect(
    schema: KongSchemaBody,
    entity: Record<string, unknown> | null,
    extra: Record<string, unknown> = {},
  ): Record<string, unknown> | null {
    const { body, errors: unreadable } = toBody(nodes.value, values.value, entity)
    const full = { ...body, ...extra }
    const found = { ...checkBody(schema, full), ...unreadable }
    errors.value = sayErrors(found)
    if (Object.keys(found).length) {
      void scrollToFirstError()
      return null
    }
    return full
  }

  /** Puts an API error on the fields it names; what names no field is returned for the form. */
  function showApiError(e: unknown): { message: string; err: ConsoleError } {
    const err = asConsoleError(e)
    const split = splitFieldErrors(err, knownPaths(nodes.value))
    errors.value = sayErrors(split.fields)
    void scrollToFirstError()
    return { message: split.form, err }
  }

  return { nodes, values, errors, choices, disabled, reset, collect, showApiError, ctx }
}
