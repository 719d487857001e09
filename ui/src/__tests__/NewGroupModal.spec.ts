// The new-group form: local checks, API field errors shown on their fields, input kept on error.
import { describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import NewGroupModal from '../components/NewGroupModal.vue'
import type { NewRuntimeGroup, RuntimeGroupRow } from '../backend'

function mountForm(create: (f: NewRuntimeGroup) => Promise<RuntimeGroupRow>) {
  return mount(NewGroupModal, { props: { visible: true, save: create }, attachTo: document.body })
}

describe('NewGroupModal', () => {
  it('refuses a blank name without calling the API', async () => {
    let calls = 0
    const w = mountForm(async () => {
      calls++
      throw new Error('unreachable')
    })
    await flushPromises()
    ;(document.querySelector('[data-testid="modal-action-button"]') as HTMLElement).click()
    await flushPromises()
    expect(calls).toBe(0)
    expect(document.body.textContent).toContain('Name is required.')
    w.unmount()
  })

  it('shows a conflict on the name field and keeps what was typed', async () => {
    const w = mountForm(async () => {
      throw {
        code: 'conflict',
        message: 'Control Plane with provided name already exists.',
        fields: { name: "A runtime group named 'dev' already exists." },
      }
    })
    await flushPromises()
    const name = document.querySelector(
      '[data-testid="field-name"] input, input[data-testid="field-name"]',
    ) as HTMLInputElement
    name.value = 'dev'
    name.dispatchEvent(new Event('input'))
    const labels = document.querySelector(
      '[data-testid="field-labels"] input, input[data-testid="field-labels"]',
    ) as HTMLInputElement
    labels.value = 'env:dev'
    labels.dispatchEvent(new Event('input'))
    await flushPromises()
    ;(document.querySelector('[data-testid="modal-action-button"]') as HTMLElement).click()
    await flushPromises()
    expect(document.body.textContent).toContain("A runtime group named 'dev' already exists.")
    expect(name.value).toBe('dev')
    expect(labels.value).toBe('env:dev')
    expect(w.emitted('saved')).toBeUndefined()
    w.unmount()
  })
})
