// The one confirm-delete dialog: its message, the danger button, a typed confirmation, an error.
import { afterEach, describe, expect, it } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import ConfirmDelete from '../components/ConfirmDelete.vue'

const $ = (sel: string) => document.querySelector(sel) as HTMLElement | null
let wrapper: VueWrapper | null = null

function open(props: Record<string, unknown> = {}) {
  wrapper = mount(ConfirmDelete, {
    props: { visible: true, title: 'Delete route', ...props },
    slots: { default: '<p>Delete the route <strong>r1</strong>?</p>' },
    attrs: { 'data-testid': 'entity-delete-prompt' },
    attachTo: document.body,
  })
  return wrapper
}

afterEach(() => {
  wrapper?.unmount()
  wrapper = null
})

describe('ConfirmDelete', () => {
  it('asks with its message and a Delete button, and says confirm or cancel', async () => {
    const w = open()
    await flushPromises()
    // The test id given to the dialog is on the prompt holding its buttons (as the e2e finds it).
    const button = $('[data-testid="entity-delete-prompt"] [data-testid="modal-action-button"]')!
    expect(document.body.textContent).toContain('Delete the route r1?')
    expect(button.textContent).toContain('Delete')
    button.click()
    await flushPromises()
    expect(w.emitted('confirm')).toHaveLength(1)
    $('[data-testid="modal-cancel-button"]')!.click()
    await flushPromises()
    expect(w.emitted('cancel')).toHaveLength(1)
  })

  it('shows nothing while it is not visible', async () => {
    open({ visible: false })
    await flushPromises()
    expect(document.body.textContent).not.toContain('Delete the route r1?')
  })

  it('says why the delete failed, under its own test id', async () => {
    open({ error: 'The route is in use.', errorTestid: 'entity-delete-error' })
    await flushPromises()
    expect($('[data-testid="entity-delete-error"]')?.textContent).toContain('The route is in use.')
  })

  it('keeps the button disabled while the delete runs', async () => {
    open({ busy: true, actionText: 'Remove demo' })
    await flushPromises()
    const button = $('[data-testid="modal-action-button"]') as HTMLButtonElement
    expect(button.textContent).toContain('Remove demo')
    expect(button.disabled).toBe(true)
  })

  it('enables the button only once the name is typed', async () => {
    const w = open({ confirmationText: 'dev-eu' })
    await flushPromises()
    const button = $('[data-testid="modal-action-button"]') as HTMLButtonElement
    expect(button.disabled).toBe(true)
    const input = $('[data-testid="confirmation-input"]') as HTMLInputElement
    input.value = 'dev-eu'
    input.dispatchEvent(new Event('input'))
    await flushPromises()
    expect(button.disabled).toBe(false)
    button.click()
    await flushPromises()
    expect(w.emitted('confirm')).toHaveLength(1)
  })
})
